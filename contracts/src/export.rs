//! The exportable contract (JSON): the document with every seal and its chain timestamp, and its
//! offline verification (DESIGN §7).
