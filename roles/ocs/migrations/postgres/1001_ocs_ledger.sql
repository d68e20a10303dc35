-- OCS ledger (RFC 4006, TS 32.299 Ro), PostgreSQL. Money in integer micro-units.
CREATE TABLE ocs_account (
    account_id    TEXT PRIMARY KEY,
    balance       BIGINT NOT NULL,
    reserved      BIGINT NOT NULL DEFAULT 0,
    currency_code BIGINT NOT NULL,
    CHECK (reserved >= 0)
);

CREATE TABLE ocs_identity (
    identity   TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES ocs_account (account_id) ON DELETE CASCADE
);
CREATE INDEX ocs_identity_by_account ON ocs_identity (account_id);

CREATE TABLE ocs_reservation (
    session_id     TEXT NOT NULL,
    rating_group   BIGINT NOT NULL,
    service_id     BIGINT,
    account_id     TEXT NOT NULL REFERENCES ocs_account (account_id) ON DELETE CASCADE,
    tariff         TEXT NOT NULL,
    request_number BIGINT NOT NULL,
    granted_units  BIGINT NOT NULL,
    amount         BIGINT NOT NULL,
    used_units     BIGINT NOT NULL DEFAULT 0,
    charged        BIGINT NOT NULL DEFAULT 0,
    final_grant    BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at     BIGINT NOT NULL,
    PRIMARY KEY (session_id, rating_group)
);
CREATE INDEX ocs_reservation_by_expiry ON ocs_reservation (expires_at);
CREATE INDEX ocs_reservation_by_account ON ocs_reservation (account_id);

CREATE TABLE ocs_debit (
    id             BIGSERIAL PRIMARY KEY,
    account_id     TEXT NOT NULL,
    session_id     TEXT,
    request_number BIGINT,
    rating_group   BIGINT,
    units          BIGINT NOT NULL,
    amount         BIGINT NOT NULL,
    reason         TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX ocs_debit_by_account ON ocs_debit (account_id);

CREATE TABLE ocs_answer (
    session_id     TEXT NOT NULL,
    request_number BIGINT NOT NULL,
    answer         BYTEA NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (session_id, request_number)
);
CREATE INDEX ocs_answer_by_age ON ocs_answer (created_at);
