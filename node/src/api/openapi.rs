//! `GET /v1/openapi.json`: the OpenAPI 3.0 description of every route (DESIGN §11), written by
//! hand as JSON. The schemas name the types of `loanchain_types::api` whose serde form is the
//! wire format; the main fields are spelled out for readers and code generators.

use axum::Json;
use serde_json::{Value, json};

use loanchain_types::api::{MAX_BATCH_TXS, MAX_BODY_BYTES};

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn array_of(name: &str) -> Value {
    json!({ "type": "array", "items": schema(name) })
}

fn ok(description: &str, body: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": body } } })
}

fn error(description: &str) -> Value {
    ok(description, schema("ErrorBody"))
}

fn path_param(name: &str, description: &str, kind: Value) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": kind })
}

fn query_param(name: &str, description: &str, kind: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": kind })
}

fn hex64() -> Value {
    json!({ "type": "string", "pattern": "^[0-9a-fA-F]{64}$" })
}

fn loan_id() -> Value {
    path_param("id", "Loan id: 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '-'", json!({ "type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$" }))
}

fn account_id() -> Value {
    path_param("id", "Account id: SHA-256 of the account public key, 64 hex digits", hex64())
}

/// A GET operation answering `body`, with a 400 for bad parameters and a 404 where ids are looked up.
fn read(summary: &str, tag: &str, params: Vec<Value>, body: Value, lookups: bool) -> Value {
    let mut responses = json!({ "200": ok(summary, body), "500": error("The node failed to read its storage") });
    if !params.is_empty() {
        responses["400"] = error("A parameter does not parse (malformed_request)");
    }
    if lookups {
        responses["404"] = error("No such thing (not_found)");
    }
    json!({ "get": { "summary": summary, "tags": [tag], "parameters": params, "responses": responses } })
}

fn submit_errors(mut responses: Value) -> Value {
    responses["400"] = error("Body not JSON (malformed_request), or not hex / not a transaction (malformed_transaction)");
    responses["403"] = error("This node is a read-only observer (read_only_observer)");
    responses["413"] = error(&format!("Body over {MAX_BODY_BYTES} bytes (payload_too_large) or more than {MAX_BATCH_TXS} transactions (batch_too_large)"));
    responses["503"] = error("The mempool is full (mempool_full) or the node shutting down; retry (Retry-After)");
    responses
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties })
}

fn components() -> Value {
    let s = || json!({ "type": "string" });
    let n = || json!({ "type": "integer", "minimum": 0 });
    let money = || json!({ "type": "string", "description": "yuan with 2 decimals, e.g. \"1000.00\"" });
    json!({ "schemas": {
        "ErrorBody": object(&["error"], json!({ "error": object(&["code", "message"], json!({
            "code": { "type": "string", "description": "stable snake_case code, e.g. not_found, bad_signature, nonce_replayed, mempool_full" },
            "message": s() })) })),
        "NodeStatus": object(&["name", "role", "chain_id", "genesis_hash", "height", "app_hash", "block_time_ms", "round", "peers", "mempool_size", "behind"], json!({
            "name": s(), "role": { "type": "string", "enum": ["validator", "observer"] }, "chain_id": s(), "genesis_hash": hex64(),
            "height": n(), "block_hash": { "type": "string", "nullable": true }, "app_hash": hex64(), "block_time_ms": n(),
            "round": n(), "peers": n(), "mempool_size": n(), "behind": n() })),
        "SubmitRequest": object(&["tx"], json!({ "tx": { "type": "string", "description": "hex of the bcs bytes of a SignedTransaction" } })),
        "SubmitResponse": object(&["tx_hash"], json!({ "tx_hash": hex64() })),
        "BatchSubmitRequest": object(&["txs"], json!({ "txs": { "type": "array", "maxItems": MAX_BATCH_TXS, "items": s() } })),
        "BatchSubmitResponse": object(&["results"], json!({ "results": { "type": "array", "items": { "oneOf": [
            object(&["accepted"], json!({ "accepted": object(&["tx_hash"], json!({ "tx_hash": hex64() })) })),
            object(&["rejected"], json!({ "rejected": object(&["error"], json!({ "error": { "$ref": "#/components/schemas/ErrorBody/properties/error" } })) })),
        ] } } })),
        "TxStatus": object(&["tx_hash", "state"], json!({
            "tx_hash": hex64(), "state": { "type": "string", "enum": ["pending", "committed", "unknown"] },
            "height": { "type": "integer", "nullable": true }, "index": { "type": "integer", "nullable": true },
            "block_time_ms": { "type": "integer", "nullable": true }, "receipt": { "type": "object", "nullable": true } })),
        "BlockInfo": object(&["hash", "header", "tx_hashes"], json!({
            "hash": hex64(), "header": { "type": "object" }, "tx_hashes": { "type": "array", "items": hex64() },
            "certificate": { "type": "object", "nullable": true }, "app_hash_after": { "type": "string", "nullable": true } })),
        "Loan": { "type": "object", "description": "loanchain_contracts::state::tables::Loan: document, status, funded, schedule, ..." },
        "LoanEntry": object(&["id", "loan"], json!({ "id": s(), "loan": schema("Loan") })),
        "LoanDetail": object(&["id", "loan", "claims"], json!({ "id": s(), "loan": schema("Loan"), "claims": { "type": "array", "items":
            object(&["id", "claim"], json!({ "id": object(&["loan", "index"], json!({ "loan": s(), "index": n() })), "claim": { "type": "object" } })) } })),
        "Event": object(&["height", "time", "kind"], json!({ "height": n(), "time": n(), "tx_hash": { "type": "string", "nullable": true },
            "loan": { "type": "string", "nullable": true }, "kind": { "type": "object" } })),
        "ExportedContract": object(&["format", "document", "seals", "revocations"], json!({ "format": { "type": "string", "enum": ["loanchain-contract/v1"] },
            "document": { "type": "object" }, "seals": { "type": "array", "items": { "type": "object" } }, "revocations": { "type": "array", "items": { "type": "object" } } })),
        "AccountEntry": object(&["id", "account"], json!({ "id": hex64(), "account": object(&["role", "name", "balance", "frozen", "suspended"], json!({
            "role": s(), "name": s(), "balance": money(), "frozen": { "type": "boolean" }, "suspended": { "type": "boolean" } })) })),
        "HolderClaim": object(&["id", "claim", "loan_status"], json!({ "id": { "type": "object" }, "claim": { "type": "object" }, "loan_status": s() })),
        "RiskPool": object(&["balance", "enabled"], json!({ "balance": money(), "enabled": { "type": "boolean" } })),
        "SupervisionSummary": object(&["loans_by_status", "outstanding_principal", "overdue_amount", "overdue_rate", "risk_pool_balance", "by_institution"], json!({
            "loans_by_status": { "type": "object", "additionalProperties": { "type": "integer" } }, "outstanding_principal": money(),
            "overdue_amount": money(), "overdue_principal": money(), "overdue_rate": s(), "risk_pool_balance": money(),
            "risk_pool_coverage": { "type": "string", "nullable": true }, "escrow": money(), "custody_total": money(),
            "by_institution": { "type": "object", "additionalProperties": { "type": "object" } }, "large_transactions": n() })),
        "Alert": object(&["loan", "kind", "amount"], json!({ "loan": s(), "kind": { "type": "string", "enum": ["overdue", "pool_shortfall"] }, "amount": money() })),
        "CommittedEvent": object(&["height", "block_time_ms", "event"], json!({ "height": n(), "block_time_ms": n(), "event": schema("Event") })),
    } })
}

/// The whole document.
pub fn document() -> Value {
    let limit = |default: usize, max: usize| json!({ "type": "integer", "minimum": 0, "default": default, "maximum": max });
    let mut paths = json!({
        "/v1/status": read("The node's status", "chain", vec![], schema("NodeStatus"), false),
        "/v1/transactions/{hash}": read("Where a transaction is: pending, committed with its receipt, or unknown", "transactions",
            vec![path_param("hash", "Transaction hash, 64 hex digits", hex64())], schema("TxStatus"), false),
        "/v1/blocks/latest": read("The last committed block", "chain", vec![], schema("BlockInfo"), true),
        "/v1/blocks/{height}": read("The block at a height", "chain", vec![path_param("height", "Block height (the first block is 1)", json!({ "type": "integer", "minimum": 1 }))], schema("BlockInfo"), true),
        "/v1/loans": read("Loans in id order", "loans", vec![
            query_param("status", "Only loans in this status", json!({ "type": "string", "enum": ["funding", "active", "overdue", "repaid", "failed", "cancelled", "bought_back", "pool_compensated"] })),
            query_param("institution", "Only loans listed by this institution (account id)", hex64()),
            query_param("limit", "At most this many loans", limit(100, 1000)),
        ], array_of("LoanEntry"), false),
        "/v1/loans/{id}": read("A loan with its claims", "loans", vec![loan_id()], schema("LoanDetail"), true),
        "/v1/loans/{id}/history": read("A loan's events, oldest first", "loans",
            vec![loan_id(), query_param("limit", "At most this many events", limit(1000, 10000))], array_of("Event"), true),
        "/v1/loans/{id}/contract": read("The exportable sealed contract with chain timestamps", "loans", vec![loan_id()], schema("ExportedContract"), true),
        "/v1/accounts/{id}": read("An account", "accounts", vec![account_id()], schema("AccountEntry"), true),
        "/v1/accounts/{id}/claims": read("The claims an account holds, with their loans' status", "accounts", vec![account_id()], array_of("HolderClaim"), true),
        "/v1/risk-pool": read("The risk pool", "accounts", vec![], schema("RiskPool"), false),
        "/v1/supervision/summary": read("The regulator's summary", "supervision", vec![], schema("SupervisionSummary"), false),
        "/v1/supervision/alerts": read("Loans overdue or not fully covered by the risk pool", "supervision", vec![], array_of("Alert"), false),
        "/v1/openapi.json": read("This document", "meta", vec![], json!({ "type": "object" }), false),
    });
    paths["/v1/transactions"] = json!({ "post": {
        "summary": "Submit one signed transaction", "tags": ["transactions"],
        "requestBody": { "required": true, "content": { "application/json": { "schema": schema("SubmitRequest") } } },
        "responses": submit_errors(json!({
            "202": ok("In the mempool; poll /v1/transactions/{hash}", schema("SubmitResponse")),
            "409": error("Already in the mempool (duplicate_transaction)"),
            "422": error("A signature or contract rule refused it: bad_signature, nonce_replayed, expired, lifetime_too_long, wrong_chain, ..."),
        })),
    } });
    paths["/v1/transactions/batch"] = json!({ "post": {
        "summary": "Submit many signed transactions, verified in one batch", "tags": ["transactions"],
        "requestBody": { "required": true, "content": { "application/json": { "schema": schema("BatchSubmitRequest") } } },
        "responses": submit_errors(json!({ "200": ok("One verdict per transaction, in order", schema("BatchSubmitResponse")) })),
    } });
    paths["/v1/events"] = json!({ "get": {
        "summary": "Committed events as server-sent events: one CommittedEvent per data line; `event: lagged` with {\"skipped\": N} when the client fell behind",
        "tags": ["events"],
        "responses": { "200": { "description": "An event stream", "content": { "text/event-stream": { "schema": { "type": "string" } } } } },
    } });
    paths["/metrics"] = json!({ "get": {
        "summary": "Prometheus metrics (OpenMetrics text)", "tags": ["meta"],
        "responses": { "200": { "description": "Metrics", "content": { "application/openmetrics-text": { "schema": { "type": "string" } } } } },
    } });
    paths["/dashboard"] = json!({ "get": {
        "summary": "The regulator's dashboard (HTML)", "tags": ["meta"],
        "responses": { "200": { "description": "A self-contained HTML page", "content": { "text/html": { "schema": { "type": "string" } } } } },
    } });
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "loanchain node API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The HTTP API of a loanchain node (DESIGN §11). Every error is JSON {\"error\": {\"code\", \"message\"}} with a 4xx/5xx status.",
        },
        "paths": paths,
        "components": components(),
    })
}

pub(crate) async fn handler() -> Json<Value> {
    Json(document())
}
