//! Network identities in genesis: libp2p peer ids (derived from ed25519 node keys) and the
//! `/ip4/A.B.C.D/tcp/PORT[/p2p/PEER]` multiaddrs the devnet uses (DESIGN §4, §9).
//!
//! Only this small subset of multiaddr is accepted, so the node's allow-list can compare addresses
//! as text and the genesis crate needs no libp2p stack.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::str::FromStr;

use libp2p_identity::PeerId;

/// Multihash code of an "identity" hash: ed25519 peer ids inline the protobuf-encoded public key.
const IDENTITY_MULTIHASH: u64 = 0x00;

/// A TCP/IPv4 multiaddr, optionally ending in `/p2p/<peer id>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TcpMultiaddr {
    /// IPv4 address.
    pub ip: Ipv4Addr,
    /// TCP port (nonzero).
    pub port: u16,
    /// The peer id of the `/p2p/…` suffix, if any.
    pub peer: Option<PeerId>,
}

impl TcpMultiaddr {
    /// `/ip4/{ip}/tcp/{port}` without a peer id.
    pub fn new(ip: Ipv4Addr, port: u16) -> TcpMultiaddr {
        TcpMultiaddr { ip, port, peer: None }
    }

    /// The same address with `/p2p/{peer}` appended.
    pub fn with_peer(&self, peer: PeerId) -> TcpMultiaddr {
        TcpMultiaddr { peer: Some(peer), ..self.clone() }
    }

    /// The socket address (`ip:port`).
    pub fn socket_addr(&self) -> SocketAddrV4 {
        SocketAddrV4::new(self.ip, self.port)
    }
}

impl fmt::Display for TcpMultiaddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/ip4/{}/tcp/{}", self.ip, self.port)?;
        if let Some(peer) = &self.peer {
            write!(f, "/p2p/{peer}")?;
        }
        Ok(())
    }
}

impl FromStr for TcpMultiaddr {
    type Err = String;

    /// Parses `/ip4/A.B.C.D/tcp/PORT` or `/ip4/A.B.C.D/tcp/PORT/p2p/PEER`; the error says why not.
    fn from_str(s: &str) -> Result<Self, String> {
        let rest = s.strip_prefix('/').ok_or("it must start with '/'")?;
        let parts: Vec<&str> = rest.split('/').collect();
        let (ip, port, peer) = match parts.as_slice() {
            ["ip4", ip, "tcp", port] => (ip, port, None),
            ["ip4", ip, "tcp", port, "p2p", peer] => (ip, port, Some(peer)),
            _ => return Err("only /ip4/…/tcp/… (optionally /p2p/…) is supported".into()),
        };
        let ip: Ipv4Addr = ip.parse().map_err(|_| format!("{ip:?} is not an IPv4 address"))?;
        let port: u16 = port.parse().map_err(|_| format!("{port:?} is not a TCP port (1 to 65535)"))?;
        if port == 0 {
            return Err("port 0 is not a fixed port".into());
        }
        let peer = match peer {
            None => None,
            Some(p) => Some(parse_ed25519_peer_id(p)?),
        };
        Ok(TcpMultiaddr { ip, port, peer })
    }
}

/// Parses a peer id and checks that it is derived from an ed25519 public key (an identity
/// multihash of the protobuf-encoded key, as libp2p makes them for ed25519), so that the node can
/// authenticate the peer from the key the peer proves in the noise handshake.
pub fn parse_ed25519_peer_id(s: &str) -> Result<PeerId, String> {
    let peer: PeerId = s.parse().map_err(|e| format!("not a libp2p peer id ({e})"))?;
    let mh = peer.as_ref();
    if mh.code() != IDENTITY_MULTIHASH {
        return Err("it is a hashed peer id (RSA or other key type), not one derived from an ed25519 key".into());
    }
    let key = libp2p_identity::PublicKey::try_decode_protobuf(mh.digest())
        .map_err(|e| format!("the inlined public key does not decode ({e})"))?;
    key.try_into_ed25519().map_err(|_| "the inlined public key is not ed25519".to_string())?;
    Ok(peer)
}

/// The peer id libp2p derives from an ed25519 node key (its 32 secret bytes).
pub fn peer_id_from_secret(secret: [u8; 32]) -> PeerId {
    let mut bytes = secret;
    libp2p_identity::Keypair::ed25519_from_bytes(&mut bytes).expect("any 32 bytes are an ed25519 secret key").public().to_peer_id()
}

/// The peer id of an ed25519 public key (32 bytes), or `None` if it is not a valid point.
pub fn peer_id_from_public(public: [u8; 32]) -> Option<PeerId> {
    let key = libp2p_identity::ed25519::PublicKey::try_from_bytes(&public).ok()?;
    Some(libp2p_identity::PublicKey::from(key).to_peer_id())
}

/// Whether 32 bytes decode to an ed25519 public key (a point on the curve).
pub fn is_ed25519_point(public: &[u8; 32]) -> bool {
    libp2p_identity::ed25519::PublicKey::try_from_bytes(public).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiaddrs_round_trip_and_bad_ones_say_why() {
        let a: TcpMultiaddr = "/ip4/127.0.0.1/tcp/26600".parse().unwrap();
        assert_eq!(a, TcpMultiaddr::new(Ipv4Addr::LOCALHOST, 26600));
        assert_eq!(a.to_string(), "/ip4/127.0.0.1/tcp/26600");
        assert_eq!(a.socket_addr().to_string(), "127.0.0.1:26600");
        let peer = peer_id_from_secret([3; 32]);
        let b = a.with_peer(peer);
        assert_eq!(b.to_string().parse::<TcpMultiaddr>().unwrap(), b);
        for (bad, why) in [
            ("127.0.0.1:26600", "start with '/'"),
            ("/ip6/::1/tcp/1", "only /ip4"),
            ("/ip4/127.0.0.1/udp/1", "only /ip4"),
            ("/ip4/300.0.0.1/tcp/1", "not an IPv4"),
            ("/ip4/127.0.0.1/tcp/70000", "not a TCP port"),
            ("/ip4/127.0.0.1/tcp/0", "port 0"),
            ("/ip4/127.0.0.1/tcp/1/p2p/nope", "not a libp2p peer id"),
        ] {
            let err = bad.parse::<TcpMultiaddr>().unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn ed25519_peer_ids_are_accepted_and_hashed_ones_are_not() {
        let peer = peer_id_from_secret([9; 32]);
        assert!(peer.to_string().starts_with("12D3KooW"), "{peer}");
        assert_eq!(parse_ed25519_peer_id(&peer.to_string()).unwrap(), peer);
        // The public half gives the same peer id.
        let mut secret = [9u8; 32];
        let kp = libp2p_identity::Keypair::ed25519_from_bytes(&mut secret).unwrap();
        let public = kp.public().try_into_ed25519().unwrap().to_bytes();
        assert_eq!(peer_id_from_public(public), Some(peer));
        // A sha256-multihash peer id (what RSA keys get) parses as a PeerId but is refused.
        let mut sha256_multihash = vec![0x12, 0x20];
        sha256_multihash.extend_from_slice(&[7u8; 32]);
        let hashed = PeerId::from_bytes(&sha256_multihash).unwrap();
        let err = parse_ed25519_peer_id(&hashed.to_string()).unwrap_err();
        assert!(err.contains("not one derived from an ed25519 key"), "{err}");
        assert!(parse_ed25519_peer_id("12D3KooWnope").is_err());
    }
}
