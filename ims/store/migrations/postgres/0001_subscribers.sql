-- Subscriber store of the HSS (3GPP TS 29.228 / 29.229), PostgreSQL.
CREATE TABLE private_identity (
    impi            TEXT COLLATE "C" PRIMARY KEY,
    auth_schemes    TEXT NOT NULL,
    k               BYTEA NOT NULL,
    op              BYTEA NOT NULL,
    op_is_opc       BOOLEAN NOT NULL,
    amf             BYTEA NOT NULL,
    sqn             BIGINT NOT NULL DEFAULT 0,
    digest_password TEXT,
    digest_ha1      TEXT,
    realm           TEXT NOT NULL
);

CREATE TABLE service_profile (
    id      TEXT COLLATE "C" PRIMARY KEY,
    ifc_xml TEXT NOT NULL
);

CREATE TABLE public_identity (
    impu             TEXT COLLATE "C" PRIMARY KEY,
    barred           BOOLEAN NOT NULL,
    identity_type    BIGINT NOT NULL,
    wildcard_pattern TEXT,
    implicit_set     TEXT NOT NULL,
    service_profile  TEXT NOT NULL,
    display_name     TEXT
);
CREATE INDEX public_identity_by_set ON public_identity (implicit_set);
CREATE INDEX public_identity_by_type ON public_identity (identity_type);

CREATE TABLE impu_impi (
    impu TEXT COLLATE "C" NOT NULL REFERENCES public_identity (impu) ON DELETE CASCADE,
    impi TEXT COLLATE "C" NOT NULL REFERENCES private_identity (impi) ON DELETE CASCADE,
    PRIMARY KEY (impu, impi)
);
CREATE INDEX impu_impi_by_impi ON impu_impi (impi);

CREATE TABLE impu_registration (
    impu        TEXT COLLATE "C" PRIMARY KEY REFERENCES public_identity (impu) ON DELETE CASCADE,
    state       BIGINT NOT NULL,
    scscf_name  TEXT,
    origin_host TEXT
);

CREATE TABLE scscf_capabilities (
    name      TEXT COLLATE "C" PRIMARY KEY,
    mandatory TEXT NOT NULL,
    optional  TEXT NOT NULL
);
