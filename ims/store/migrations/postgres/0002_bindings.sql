-- Location service bindings (RFC 3261 §10, RFC 5626 §6, TS 24.229 §5.4.1), PostgreSQL.
-- flow and pn hold the length-prefixed field encoding of src/codec.rs.
CREATE TABLE binding (
    aor            TEXT COLLATE "C" NOT NULL,
    binding_key    TEXT COLLATE "C" NOT NULL,
    contact        TEXT NOT NULL,
    expires_at     BIGINT NOT NULL,
    q              BIGINT NOT NULL,
    instance       TEXT,
    reg_id         BIGINT,
    path           TEXT NOT NULL,
    call_id        TEXT NOT NULL,
    cseq           BIGINT NOT NULL,
    flow           TEXT,
    user_agent     TEXT,
    pn             TEXT,
    registered_at  BIGINT NOT NULL,
    PRIMARY KEY (aor, binding_key)
);
CREATE INDEX binding_by_expiry ON binding (expires_at);
