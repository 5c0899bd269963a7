//! Every route of the node's API, declared once (docs/DESIGN.md §11).
//!
//! The node's router mounts each [`Route::path`]; `loanctl` fills the same paths with
//! [`Route::path_with`]; [`crate::openapi::document`] describes [`ALL`]. A route added here and
//! not mounted, or mounted and not here, fails the node's API tests.

use schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::types::*;
use loanchain_contracts::Event;
use loanchain_contracts::export::ExportedContract;
use loanchain_contracts::views::{Alert, SupervisionSummary};

/// Largest request body the API accepts, in bytes (a batch of transactions included).
pub const MAX_BODY_BYTES: usize = 4 << 20;
/// Most transactions in one batch submission.
pub const MAX_BATCH_TXS: usize = 5_000;
/// Loans listed when no `limit` is given.
pub const DEFAULT_LOAN_LIMIT: usize = 100;
/// Most loans one list returns.
pub const MAX_LOAN_LIMIT: usize = 1_000;
/// Events one history returns when no `limit` is given.
pub const DEFAULT_HISTORY_LIMIT: usize = 1_000;
/// Most events one history returns.
pub const MAX_HISTORY_LIMIT: usize = 10_000;

/// Evidence listed when no `limit` is given.
pub const DEFAULT_EVIDENCE_LIMIT: usize = 100;
/// Most evidence one page lists. A page holds whole heights: a single height with more than the
/// `limit` asked for comes whole (storage keeps at most 3 pieces per validator and height).
pub const MAX_EVIDENCE_LIMIT: usize = 1_000;

/// Builds the JSON Schema of a type, registering its definitions with the generator.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema<T: JsonSchema + ?Sized>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// GET or POST: the only methods the API has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// A read.
    Get,
    /// A submission.
    Post,
}

/// Where a parameter is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum In {
    /// A `{name}` segment of the path.
    Path,
    /// `?name=` in the query string (always optional).
    Query,
}

/// One parameter of a route.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// Path or query.
    pub location: In,
    /// What it is, for a person.
    pub description: &'static str,
    /// Its JSON Schema.
    pub schema: SchemaFn,
}

/// What a route answers with on success.
#[derive(Clone, Copy, Debug)]
pub enum Body {
    /// JSON of a type.
    Json(SchemaFn),
    /// Another media type, described in words.
    Other {
        /// The media type.
        media_type: &'static str,
        /// What the content is.
        description: &'static str,
    },
}

/// One route: everything the router, the client and the description need to know.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    /// GET or POST.
    pub method: Method,
    /// The path, with `{name}` for path parameters (axum's syntax).
    pub path: &'static str,
    /// One line for the description.
    pub summary: &'static str,
    /// The group it belongs to.
    pub tag: &'static str,
    /// Its parameters.
    pub params: &'static [Param],
    /// The JSON request body, for a POST.
    pub request: Option<SchemaFn>,
    /// The success status.
    pub status: u16,
    /// The success body.
    pub response: Body,
    /// The error statuses it may answer, each with its codes (the body is always `ErrorBody`).
    pub errors: &'static [(u16, &'static str)],
}

impl Route {
    /// The path with its `{…}` parameters replaced by `args`, in order. Each argument is
    /// percent-encoded where it is not a plain path character.
    pub fn path_with(&self, args: &[&str]) -> String {
        let mut out = String::with_capacity(self.path.len() + 64);
        let mut args = args.iter();
        let mut rest = self.path;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
            let arg = args.next().expect("one argument per path parameter");
            for b in arg.bytes() {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                    out.push(b as char);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            rest = &rest[close..];
        }
        out.push_str(rest);
        out
    }
}

const BAD_PARAM: (u16, &str) = (400, "malformed_request: a parameter does not parse");
const NOT_FOUND: (u16, &str) = (404, "not_found: no such thing");
const SUBMIT_ERRORS: &[(u16, &str)] = &[
    (400, "malformed_request (body not JSON), malformed_transaction (not hex, not a transaction)"),
    (403, "read_only_observer: this node is an observer"),
    (413, "payload_too_large (body over MAX_BODY_BYTES), batch_too_large (over MAX_BATCH_TXS transactions)"),
    (503, "mempool_full, or the node is shutting down; retry after Retry-After"),
];

const HASH: Param =
    Param { name: "hash", location: In::Path, description: "Transaction hash, 64 hex digits", schema: schema::<loanchain_contracts::Hash> };
const HEIGHT: Param =
    Param { name: "height", location: In::Path, description: "Block height (the first block is 1)", schema: schema::<u64> };
const LOAN_ID: Param = Param {
    name: "id",
    location: In::Path,
    description: "Loan id: 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '-'",
    schema: schema::<loanchain_contracts::LoanId>,
};
const ACCOUNT_ID: Param = Param {
    name: "id",
    location: In::Path,
    description: "Account id: SHA-256 of the account public key, 64 hex digits",
    schema: schema::<loanchain_contracts::AccountId>,
};

/// `GET /v1/status`.
pub const STATUS: Route = get("/v1/status", "The node's status", "chain", &[], schema::<NodeStatus>, &[]);
/// `POST /v1/transactions`.
pub const SUBMIT: Route = Route {
    method: Method::Post,
    path: "/v1/transactions",
    summary: "Submit one signed transaction",
    tag: "transactions",
    params: &[],
    request: Some(schema::<SubmitRequest>),
    status: 202,
    response: Body::Json(schema::<SubmitResponse>),
    errors: &[
        SUBMIT_ERRORS[0],
        SUBMIT_ERRORS[1],
        (409, "duplicate_transaction (already in the mempool), already_committed (in a committed block)"),
        SUBMIT_ERRORS[2],
        (
            422,
            "a signature or contract rule refused it: bad_signature, unknown_account (the signer has no account), nonce_replayed, expired, lifetime_too_long, wrong_chain, ...",
        ),
        SUBMIT_ERRORS[3],
    ],
};
/// `POST /v1/transactions/batch`.
pub const SUBMIT_BATCH: Route = Route {
    method: Method::Post,
    path: "/v1/transactions/batch",
    summary: "Submit many signed transactions, verified in one batch; one verdict per transaction, in order",
    tag: "transactions",
    params: &[],
    request: Some(schema::<BatchSubmitRequest>),
    status: 200,
    response: Body::Json(schema::<BatchSubmitResponse>),
    errors: SUBMIT_ERRORS,
};
/// `GET /v1/transactions/{hash}`.
pub const TX_STATUS: Route = get(
    "/v1/transactions/{hash}",
    "Where a transaction is: pending, committed with its receipt, or unknown",
    "transactions",
    &[HASH],
    schema::<TxStatus>,
    &[BAD_PARAM],
);
/// `GET /v1/blocks/latest`.
pub const LATEST_BLOCK: Route = get("/v1/blocks/latest", "The last committed block", "chain", &[], schema::<BlockInfo>, &[NOT_FOUND]);
/// `GET /v1/blocks/{height}`.
pub const BLOCK: Route =
    get("/v1/blocks/{height}", "The block at a height", "chain", &[HEIGHT], schema::<BlockInfo>, &[BAD_PARAM, NOT_FOUND]);
/// `GET /v1/loans?status=&institution=&limit=`.
pub const LOANS: Route = get(
    "/v1/loans",
    "Loans in id order, filtered by status and listing institution",
    "loans",
    &[
        Param {
            name: "status",
            location: In::Query,
            description: "Only loans in this status",
            schema: schema::<loanchain_contracts::state::tables::LoanStatus>,
        },
        Param {
            name: "institution",
            location: In::Query,
            description: "Only loans listed by this institution (account id)",
            schema: schema::<loanchain_contracts::AccountId>,
        },
        Param {
            name: "limit",
            location: In::Query,
            description: "At most this many loans (default DEFAULT_LOAN_LIMIT, at most MAX_LOAN_LIMIT)",
            schema: schema::<u32>,
        },
    ],
    schema::<Vec<LoanEntry>>,
    &[BAD_PARAM],
);
/// `GET /v1/loans/{id}`.
pub const LOAN: Route = get("/v1/loans/{id}", "A loan with its claims", "loans", &[LOAN_ID], schema::<LoanDetail>, &[BAD_PARAM, NOT_FOUND]);
/// `GET /v1/loans/{id}/history`.
pub const LOAN_HISTORY: Route = get(
    "/v1/loans/{id}/history",
    "A loan's events, oldest first",
    "loans",
    &[
        LOAN_ID,
        Param {
            name: "limit",
            location: In::Query,
            description: "At most this many events (default DEFAULT_HISTORY_LIMIT, at most MAX_HISTORY_LIMIT)",
            schema: schema::<u32>,
        },
    ],
    schema::<Vec<Event>>,
    &[BAD_PARAM, NOT_FOUND],
);
/// `GET /v1/loans/{id}/contract`.
pub const LOAN_CONTRACT: Route = get(
    "/v1/loans/{id}/contract",
    "The exportable sealed contract with its chain timestamps",
    "loans",
    &[LOAN_ID],
    schema::<ExportedContract>,
    &[BAD_PARAM, NOT_FOUND],
);
/// `GET /v1/accounts/{id}`.
pub const ACCOUNT: Route =
    get("/v1/accounts/{id}", "An account", "accounts", &[ACCOUNT_ID], schema::<AccountEntry>, &[BAD_PARAM, NOT_FOUND]);
/// `GET /v1/accounts/{id}/claims`.
pub const ACCOUNT_CLAIMS: Route = get(
    "/v1/accounts/{id}/claims",
    "The claims an account holds, with their loans' status",
    "accounts",
    &[ACCOUNT_ID],
    schema::<Vec<HolderClaim>>,
    &[BAD_PARAM, NOT_FOUND],
);
/// `GET /v1/risk-pool`.
pub const RISK_POOL: Route = get("/v1/risk-pool", "The risk pool", "accounts", &[], schema::<RiskPool>, &[]);
/// `GET /v1/supervision/summary`.
pub const SUPERVISION_SUMMARY: Route =
    get("/v1/supervision/summary", "The regulator's summary", "supervision", &[], schema::<SupervisionSummary>, &[]);
/// `GET /v1/supervision/alerts`.
pub const SUPERVISION_ALERTS: Route =
    get("/v1/supervision/alerts", "Loans overdue or not fully covered by the risk pool", "supervision", &[], schema::<Vec<Alert>>, &[]);
/// `GET /v1/evidence?limit=&before_height=`.
pub const EVIDENCE: Route = get(
    "/v1/evidence",
    "Equivocation evidence this node verified, newest height first, in pages of whole heights",
    "supervision",
    &[
        Param {
            name: "limit",
            location: In::Query,
            description: "At most this many pieces of evidence, 1 or more (default DEFAULT_EVIDENCE_LIMIT, at most MAX_EVIDENCE_LIMIT); \
                          a single height that holds more comes whole",
            schema: schema::<u32>,
        },
        Param {
            name: "before_height",
            location: In::Query,
            description: "Only evidence of heights below this one: the cursor, from the previous page's next_before_height",
            schema: schema::<u64>,
        },
    ],
    schema::<EvidenceList>,
    &[(400, "malformed_request: a parameter does not parse, or limit is 0")],
);
/// `GET /v1/events`.
pub const EVENTS: Route = other(
    "/v1/events",
    "Committed events as server-sent events: one CommittedEvent per data line; `event: lagged` with {\"skipped\": N} when the client fell behind",
    "events",
    "text/event-stream",
    "An event stream of CommittedEvent",
);
/// `GET /v1/openapi.json`.
pub const OPENAPI: Route = get("/v1/openapi.json", "This description (OpenAPI 3.1)", "meta", &[], schema::<serde_json::Value>, &[]);
/// `GET /metrics`.
pub const METRICS: Route = other("/metrics", "Prometheus metrics (OpenMetrics text)", "meta", "application/openmetrics-text", "Metrics");
/// `GET /dashboard`.
pub const DASHBOARD: Route = other("/dashboard", "The regulator's dashboard (HTML)", "meta", "text/html", "A self-contained HTML page");

/// Every route, in the order of the description.
pub const ALL: [Route; 20] = [
    STATUS,
    SUBMIT,
    SUBMIT_BATCH,
    TX_STATUS,
    LATEST_BLOCK,
    BLOCK,
    LOANS,
    LOAN,
    LOAN_HISTORY,
    LOAN_CONTRACT,
    ACCOUNT,
    ACCOUNT_CLAIMS,
    RISK_POOL,
    SUPERVISION_SUMMARY,
    SUPERVISION_ALERTS,
    EVIDENCE,
    EVENTS,
    OPENAPI,
    METRICS,
    DASHBOARD,
];

const fn get(
    path: &'static str,
    summary: &'static str,
    tag: &'static str,
    params: &'static [Param],
    response: SchemaFn,
    errors: &'static [(u16, &'static str)],
) -> Route {
    Route { method: Method::Get, path, summary, tag, params, request: None, status: 200, response: Body::Json(response), errors }
}

const fn other(path: &'static str, summary: &'static str, tag: &'static str, media_type: &'static str, description: &'static str) -> Route {
    Route {
        method: Method::Get,
        path,
        summary,
        tag,
        params: &[],
        request: None,
        status: 200,
        response: Body::Other { media_type, description },
        errors: &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_filled_in_order_and_escaped() {
        assert_eq!(TX_STATUS.path_with(&["ab12"]), "/v1/transactions/ab12");
        assert_eq!(LOAN_HISTORY.path_with(&["JD-1"]), "/v1/loans/JD-1/history");
        assert_eq!(LOAN.path_with(&["a/b c"]), "/v1/loans/a%2Fb%20c");
        assert_eq!(STATUS.path_with(&[]), "/v1/status");
    }

    #[test]
    fn every_path_parameter_is_declared_and_no_route_repeats() {
        let mut seen = std::collections::BTreeSet::new();
        for r in ALL {
            assert!(seen.insert((r.path, r.method == Method::Get)), "{} twice", r.path);
            let in_path: Vec<&str> = r.path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).collect();
            let declared: Vec<&str> = r.params.iter().filter(|p| p.location == In::Path).map(|p| p.name).collect();
            assert_eq!(in_path, declared, "{}", r.path);
            assert_eq!(r.request.is_some(), r.method == Method::Post, "{}", r.path);
        }
    }
}
