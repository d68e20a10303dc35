-- Rf accounting records (TS 32.299 §6.2, TS 32.260 IMS CDR fields), one row per ACR.
-- (session_id, record_number) is the RFC 6733 §9.6 duplicate key.
CREATE TABLE IF NOT EXISTS cdf_records (
    id                      BIGSERIAL PRIMARY KEY,
    session_id              TEXT    NOT NULL,
    record_number           BIGINT  NOT NULL,
    record_type             BIGINT  NOT NULL,
    record_time             BIGINT  NOT NULL,
    received_at             BIGINT  NOT NULL,
    origin_host             TEXT    NOT NULL,
    origin_realm            TEXT    NOT NULL,
    user_name               TEXT,
    event_timestamp         BIGINT ,
    sip_method              TEXT,
    event                   TEXT,
    expires                 BIGINT ,
    role_of_node            BIGINT ,
    node_functionality      BIGINT ,
    user_session_id         TEXT,
    calling_party_address   TEXT,
    called_party_address    TEXT,
    sip_request_timestamp   BIGINT ,
    sip_response_timestamp  BIGINT ,
    originating_ioi         TEXT,
    terminating_ioi         TEXT,
    ims_charging_identifier TEXT,
    sdp_session_description TEXT,
    sdp_media               TEXT,
    cause_code              BIGINT ,
    UNIQUE (session_id, record_number)
);
CREATE INDEX IF NOT EXISTS cdf_records_time ON cdf_records (record_time);
