-- OCS ledger (RFC 4006, TS 32.299 Ro), SQLite. Money in integer micro-units.
CREATE TABLE ocs_account (
    account_id    TEXT PRIMARY KEY,
    balance       INTEGER NOT NULL,
    reserved      INTEGER NOT NULL DEFAULT 0,
    currency_code INTEGER NOT NULL,
    CHECK (reserved >= 0)
);

CREATE TABLE ocs_identity (
    identity   TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES ocs_account (account_id) ON DELETE CASCADE
);
CREATE INDEX ocs_identity_by_account ON ocs_identity (account_id);

CREATE TABLE ocs_reservation (
    session_id     TEXT NOT NULL,
    rating_group   INTEGER NOT NULL,
    service_id     INTEGER,
    account_id     TEXT NOT NULL REFERENCES ocs_account (account_id) ON DELETE CASCADE,
    tariff         TEXT NOT NULL,
    request_number INTEGER NOT NULL,
    granted_units  INTEGER NOT NULL,
    amount         INTEGER NOT NULL,
    used_units     INTEGER NOT NULL DEFAULT 0,
    charged        INTEGER NOT NULL DEFAULT 0,
    final_grant    BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at     INTEGER NOT NULL,
    PRIMARY KEY (session_id, rating_group)
);
CREATE INDEX ocs_reservation_by_expiry ON ocs_reservation (expires_at);
CREATE INDEX ocs_reservation_by_account ON ocs_reservation (account_id);

CREATE TABLE ocs_debit (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     TEXT NOT NULL,
    session_id     TEXT,
    request_number INTEGER,
    rating_group   INTEGER,
    units          INTEGER NOT NULL,
    amount         INTEGER NOT NULL,
    reason         TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX ocs_debit_by_account ON ocs_debit (account_id);

CREATE TABLE ocs_answer (
    session_id     TEXT NOT NULL,
    request_number INTEGER NOT NULL,
    answer         BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (session_id, request_number)
);
CREATE INDEX ocs_answer_by_age ON ocs_answer (created_at);
