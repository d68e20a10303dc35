//! `imsctl hss ...`: subscriber provisioning on the HSS database (TS 29.228 §6, TS 23.008
//! §3) through `ims_store::SqlSubscriberStore`, while the HSS runs (SQLite WAL or PostgreSQL).
//!
//! `add` and `import` both go through `ims_store::import_toml`, so a subscriber given on the
//! command line, in TOML or in CSV is checked the same way. `deregister` and `set-profile` need
//! the running HSS (RTR/PPR to the S-CSCF) and go through its admin API instead.

mod admin;
mod csv;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use ims_store::{
    import_toml, ImportReport, OpKind, PrivateIdentity, PublicIdentity, RegistrationState,
    SqlOptions, SqlPool, SqlSubscriberStore, SubscriberStore,
};

use crate::db::DbArgs;
use crate::text::{hex, Json, Table};

/// `[store] url` of roles/config/hss.toml.
pub(crate) const DEFAULT_DB: &str = "sqlite:./ims-lab-data/hss.db";

/// Subscribers listed per query.
const PAGE: u32 = 500;

/// `imsctl hss` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum HssCmd {
    /// Add a subscriber: one private identity (IMPI) and its public identities (IMPUs).
    Add(Box<AddArgs>),
    /// List subscribers with their IMPUs, schemes, registration state and S-CSCF.
    List,
    /// Show one subscriber (keys are hidden unless --secrets).
    Show {
        /// The private identity.
        impi: String,
        /// Print K, OP/OPc and the Digest password.
        #[arg(long)]
        secrets: bool,
    },
    /// Delete a subscriber and the IMPUs no other IMPI shares.
    Delete {
        /// The private identity.
        impi: String,
        /// Keep its public identities (only the IMPI and its links go).
        #[arg(long)]
        keep_impus: bool,
    },
    /// Import subscribers from TOML ([[subscriber]] entries, see docs/imsctl.md) or CSV.
    Import {
        /// The file.
        file: PathBuf,
        /// File format (default: from the extension, .csv or else TOML).
        #[arg(long, value_enum)]
        format: Option<ImportFormat>,
    },
    /// De-register a user: the running HSS sends RTR to its S-CSCF (TS 29.228 §6.1.3).
    /// Needs --admin URL (or IMSCTL_ADMIN).
    Deregister {
        /// An IMPI (alice@ims.test: all its registered IMPUs) or an IMPU (sip:alice@ims.test).
        id: String,
        /// Deregistration-Reason (TS 29.229 §6.3.17): PERMANENT_TERMINATION,
        /// NEW_SERVER_ASSIGNED, SERVER_CHANGE or REMOVE_S-CSCF.
        #[arg(long, default_value = "PERMANENT_TERMINATION")]
        reason: String,
        /// Reason-Info text for the user.
        #[arg(long, value_name = "TEXT")]
        reason_info: Option<String>,
        #[command(flatten)]
        admin: crate::rpc::AdminArgs,
    },
    /// Change the service profile (iFCs) of a subscriber; the running HSS pushes it to the
    /// S-CSCF with PPR when registered (TS 29.228 §6.2.2). Needs --admin URL.
    SetProfile {
        /// The private identity.
        impi: String,
        /// Service profile / iFC XML file (TS 29.228 Annex E).
        #[arg(
            long,
            value_name = "FILE",
            conflicts_with = "profile",
            required_unless_present = "profile"
        )]
        profile_xml: Option<PathBuf>,
        /// Use this stored service profile id instead.
        #[arg(long, value_name = "ID")]
        profile: Option<String>,
        #[command(flatten)]
        admin: crate::rpc::AdminArgs,
    },
}

/// Formats of `imsctl hss import`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ImportFormat {
    /// The ims_store import document.
    Toml,
    /// One subscriber per line, columns named as the TOML fields.
    Csv,
}

/// `imsctl hss add` arguments.
#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// Private identity (TS 23.003 §13.3), e.g. alice@ims.test.
    #[arg(long, value_name = "IMPI")]
    impi: String,
    /// Public identity, sip:/sips:/tel: URI (repeat for more).
    #[arg(long = "impu", value_name = "URI", required = true)]
    impus: Vec<String>,
    /// Subscriber key K, 32 hex digits (TS 33.102 §6.3).
    #[arg(long, value_name = "HEX", conflicts_with = "k_ascii")]
    k: Option<String>,
    /// K as 16 ASCII characters.
    #[arg(long, value_name = "TEXT")]
    k_ascii: Option<String>,
    /// OP, 32 hex digits (TS 35.206 §4.1).
    #[arg(long, value_name = "HEX", group = "opkind")]
    op: Option<String>,
    /// OPc, 32 hex digits.
    #[arg(long, value_name = "HEX", group = "opkind")]
    opc: Option<String>,
    /// OP as 16 ASCII characters.
    #[arg(long, value_name = "TEXT", group = "opkind")]
    op_ascii: Option<String>,
    /// OPc as 16 ASCII characters.
    #[arg(long, value_name = "TEXT", group = "opkind")]
    opc_ascii: Option<String>,
    /// Authentication management field, 4 hex digits (default 8000).
    #[arg(long, value_name = "HEX")]
    amf: Option<String>,
    /// Initial SQN (default: keep a stored one, else 0).
    #[arg(long)]
    sqn: Option<u64>,
    /// SIP Digest password.
    #[arg(long)]
    password: Option<String>,
    /// SIP Digest H(A1) instead of a password.
    #[arg(long, conflicts_with = "password")]
    ha1: Option<String>,
    /// Authentication schemes, comma separated: AKAv1-MD5, AKAv2-MD5, MD5 (SIP Digest),
    /// SHA-256 (default: AKA v1+v2 with K, Digest-MD5 with a password).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    schemes: Vec<String>,
    /// Digest realm (default: the domain of the IMPI).
    #[arg(long)]
    realm: Option<String>,
    /// Service profile / iFC XML file (TS 29.228 Annex E).
    #[arg(long, value_name = "FILE", conflicts_with = "profile")]
    profile_xml: Option<PathBuf>,
    /// Use this stored service profile id instead.
    #[arg(long, value_name = "ID")]
    profile: Option<String>,
    /// Display name (TS 29.228 §6.3.2).
    #[arg(long)]
    display_name: Option<String>,
    /// Implicit registration set id (default: the IMPI).
    #[arg(long)]
    implicit_set: Option<String>,
    /// Bar the public identities (TS 29.228 §6.3.1 Barring-Indication).
    #[arg(long)]
    barred: bool,
    /// Replace an existing subscriber of the same IMPI instead of failing.
    #[arg(long)]
    replace: bool,
}

/// Runs one `imsctl hss` command.
pub(crate) async fn run(cmd: HssCmd, db: &DbArgs, json: bool) -> anyhow::Result<()> {
    match cmd {
        HssCmd::Deregister {
            id,
            reason,
            reason_info,
            admin,
        } => admin::deregister(&id, &reason, reason_info.as_deref(), &admin, json).await,
        HssCmd::SetProfile {
            impi,
            profile_xml,
            profile,
            admin,
        } => {
            admin::set_profile(
                &impi,
                profile_xml.as_deref(),
                profile.as_deref(),
                &admin,
                json,
            )
            .await
        }
        other => run_on_store(other, db, json).await,
    }
}

/// The commands that work on the database.
async fn run_on_store(cmd: HssCmd, db: &DbArgs, json: bool) -> anyhow::Result<()> {
    let creates = matches!(cmd, HssCmd::Add(_) | HssCmd::Import { .. });
    let store = open(db, creates).await?;
    let r = match cmd {
        HssCmd::Add(args) => add(&store, &args, json).await,
        HssCmd::List => list(&store, json).await,
        HssCmd::Show { impi, secrets } => show(&store, &impi, secrets, json).await,
        HssCmd::Delete { impi, keep_impus } => delete(&store, &impi, keep_impus, json).await,
        HssCmd::Import { file, format } => import(&store, &file, format, json).await,
        HssCmd::Deregister { .. } | HssCmd::SetProfile { .. } => {
            Err(anyhow::anyhow!("this command goes through the admin API"))
        }
    };
    store.pool().close().await;
    r
}

async fn open(db: &DbArgs, create: bool) -> anyhow::Result<SqlSubscriberStore> {
    let target = db.target(DEFAULT_DB)?;
    target.prepare(create)?;
    let mut options = SqlOptions::new(target.url.clone());
    options.max_connections = 2;
    if let Some(s) = target.schema {
        options = options.with_schema(s);
    }
    let pool = SqlPool::open(&options)
        .await
        .with_context(|| format!("opening the HSS database {}", target.url))?;
    Ok(SqlSubscriberStore::new(pool))
}

fn text(s: &str) -> toml::Value {
    toml::Value::String(s.to_owned())
}

/// The `[[subscriber]]` entry of `imsctl hss add`.
fn add_entry(a: &AddArgs) -> anyhow::Result<toml::Table> {
    let mut e = toml::Table::new();
    e.insert("impi".into(), text(&a.impi));
    e.insert(
        "impus".into(),
        toml::Value::Array(a.impus.iter().map(|u| text(u)).collect()),
    );
    let ascii = |s: &str| format!("ascii:{s}");
    let mut put = |key: &str, v: Option<String>| {
        if let Some(v) = v {
            e.insert(key.into(), toml::Value::String(v));
        }
    };
    put("k", a.k.clone().or_else(|| a.k_ascii.as_deref().map(ascii)));
    put(
        "op",
        a.op.clone().or_else(|| a.op_ascii.as_deref().map(ascii)),
    );
    put(
        "opc",
        a.opc.clone().or_else(|| a.opc_ascii.as_deref().map(ascii)),
    );
    put("amf", a.amf.clone());
    put("password", a.password.clone());
    put("ha1", a.ha1.clone());
    put("realm", a.realm.clone());
    put("display_name", a.display_name.clone());
    put("implicit_set", a.implicit_set.clone());
    put("profile", a.profile.clone());
    put(
        "ifc_file",
        a.profile_xml.as_ref().map(|p| p.display().to_string()),
    );
    if let Some(sqn) = a.sqn {
        let sqn = i64::try_from(sqn).context("sqn out of range")?;
        e.insert("sqn".into(), toml::Value::Integer(sqn));
    }
    if !a.schemes.is_empty() {
        e.insert(
            "auth_schemes".into(),
            toml::Value::Array(a.schemes.iter().map(|s| text(s.trim())).collect()),
        );
    }
    if a.barred {
        e.insert("barred".into(), toml::Value::Boolean(true));
    }
    Ok(e)
}

/// Adds `[[service_profile]]` entries for the `profile` ids the subscribers of `doc` name but
/// the document does not define, read from the store (the import only knows its own).
async fn add_stored_profiles(
    store: &SqlSubscriberStore,
    doc: &mut toml::Table,
) -> anyhow::Result<()> {
    let defined: Vec<String> = doc
        .get("service_profile")
        .and_then(toml::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| p.get("id").and_then(toml::Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let mut wanted: Vec<String> = doc
        .get("subscriber")
        .and_then(toml::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.get("profile").and_then(toml::Value::as_str))
                .filter(|id| !defined.iter().any(|d| d == id))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    wanted.sort();
    wanted.dedup();
    let mut extra = Vec::new();
    for id in wanted {
        let Some(p) = store.get_service_profile(&id).await? else {
            bail!("service profile {id:?} is neither in the file nor in the store");
        };
        let mut t = toml::Table::new();
        t.insert("id".into(), text(&p.id));
        t.insert("xml".into(), text(&p.ifc_xml));
        extra.push(toml::Value::Table(t));
    }
    if !extra.is_empty() {
        match doc.get_mut("service_profile") {
            Some(toml::Value::Array(a)) => a.extend(extra),
            _ => {
                doc.insert("service_profile".into(), toml::Value::Array(extra));
            }
        }
    }
    Ok(())
}

async fn write_doc(
    store: &SqlSubscriberStore,
    mut doc: toml::Table,
    base_dir: Option<&Path>,
) -> anyhow::Result<ImportReport> {
    add_stored_profiles(store, &mut doc).await?;
    let text = toml::to_string(&doc).context("encoding the import document")?;
    Ok(import_toml(store, &text, base_dir).await?)
}

async fn add(store: &SqlSubscriberStore, a: &AddArgs, json: bool) -> anyhow::Result<()> {
    if !a.replace && store.get_private(&a.impi).await?.is_some() {
        bail!("{} already exists (use --replace to overwrite)", a.impi);
    }
    for impu in &a.impus {
        if let Some(p) = store.find_public(impu).await? {
            if let Some(other) = p.impis.iter().find(|i| p.impu == *impu && **i != a.impi) {
                bail!("{impu} belongs to {other}");
            }
        }
    }
    let mut doc = toml::Table::new();
    doc.insert(
        "subscriber".into(),
        toml::Value::Array(vec![toml::Value::Table(add_entry(a)?)]),
    );
    let report = write_doc(store, doc, None).await?;
    if json {
        println!("{}", report_json(&report));
    } else {
        println!(
            "added {} with {} public identit{}",
            a.impi,
            report.public_identities,
            if report.public_identities == 1 {
                "y"
            } else {
                "ies"
            }
        );
    }
    Ok(())
}

fn report_json(r: &ImportReport) -> Json {
    let n = |v: usize| Json::Int(i64::try_from(v).unwrap_or(i64::MAX));
    Json::Obj(vec![
        ("service_profiles", n(r.service_profiles)),
        ("scscfs", n(r.scscfs)),
        ("private_identities", n(r.private_identities)),
        ("public_identities", n(r.public_identities)),
    ])
}

async fn import(
    store: &SqlSubscriberStore,
    file: &Path,
    format: Option<ImportFormat>,
    json: bool,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let format = format.unwrap_or_else(|| {
        let csv = file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if csv {
            ImportFormat::Csv
        } else {
            ImportFormat::Toml
        }
    });
    let base = file.parent();
    let report = match format {
        ImportFormat::Csv => {
            let doc = csv::to_import_doc(&text).with_context(|| file.display().to_string())?;
            write_doc(store, doc, base).await?
        }
        // A document that is not a TOML table goes to the import as is, for its error message.
        ImportFormat::Toml => match toml::from_str::<toml::Table>(&text) {
            Ok(doc) => write_doc(store, doc, base).await?,
            Err(_) => import_toml(store, &text, base).await?,
        },
    };
    if json {
        println!("{}", report_json(&report));
    } else {
        println!(
            "imported {} private and {} public identities, {} service profiles, {} S-CSCFs",
            report.private_identities,
            report.public_identities,
            report.service_profiles,
            report.scscfs
        );
    }
    Ok(())
}

fn state_name(s: RegistrationState) -> &'static str {
    match s {
        RegistrationState::NotRegistered => "not-registered",
        RegistrationState::Registered => "registered",
        RegistrationState::Unregistered => "unregistered",
    }
}

fn schemes(p: &PrivateIdentity) -> Vec<String> {
    p.auth_schemes
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect()
}

/// One IMPU with its registration record.
struct ImpuView {
    public: PublicIdentity,
    state: RegistrationState,
    scscf: Option<String>,
    origin_host: Option<String>,
}

async fn impus_of(store: &SqlSubscriberStore, impi: &str) -> anyhow::Result<Vec<ImpuView>> {
    let mut out = Vec::new();
    for public in store.public_identities_of(impi).await? {
        let reg = store.registration(&public.impu).await?;
        out.push(ImpuView {
            public,
            state: reg.state,
            scscf: reg.scscf_name,
            origin_host: reg.origin_host,
        });
    }
    Ok(out)
}

fn impu_json(v: &ImpuView) -> Json {
    Json::Obj(vec![
        ("impu", Json::str(&v.public.impu)),
        ("barred", Json::Bool(v.public.barred)),
        ("implicit_set", Json::str(&v.public.implicit_set)),
        ("service_profile", Json::str(&v.public.service_profile)),
        (
            "display_name",
            Json::opt_str(v.public.display_name.as_deref()),
        ),
        ("state", Json::str(state_name(v.state))),
        ("scscf", Json::opt_str(v.scscf.as_deref())),
        ("origin_host", Json::opt_str(v.origin_host.as_deref())),
    ])
}

async fn list(store: &SqlSubscriberStore, json: bool) -> anyhow::Result<()> {
    let mut table = Table::new(&["IMPI", "IMPU", "SCHEMES", "STATE", "S-CSCF"]);
    let mut items = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.list_subscribers(after.as_deref(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.impi.clone());
        for p in &page {
            let impus = impus_of(store, &p.impi).await?;
            let schemes = schemes(p);
            if json {
                items.push(Json::Obj(vec![
                    ("impi", Json::str(&p.impi)),
                    (
                        "schemes",
                        Json::Arr(schemes.into_iter().map(Json::Str).collect()),
                    ),
                    ("impus", Json::Arr(impus.iter().map(impu_json).collect())),
                ]));
                continue;
            }
            // One line per IMPU; the IMPI and its schemes on the first.
            let mut first = true;
            let none = [None];
            let rows: Vec<Option<&ImpuView>> = if impus.is_empty() {
                none.to_vec()
            } else {
                impus.iter().map(Some).collect()
            };
            for v in rows {
                let (impi, sch) = if first {
                    (p.impi.clone(), schemes.join(","))
                } else {
                    (String::new(), String::new())
                };
                first = false;
                table.row(vec![
                    impi,
                    v.map_or_else(|| "-".to_owned(), |v| v.public.impu.clone()),
                    sch,
                    v.map_or("-", |v| state_name(v.state)).to_owned(),
                    v.and_then(|v| v.scscf.clone())
                        .unwrap_or_else(|| "-".to_owned()),
                ]);
            }
        }
        if page.len() < PAGE as usize {
            break;
        }
    }
    if json {
        println!("{}", Json::Arr(items));
    } else {
        print!("{table}");
    }
    Ok(())
}

async fn show(
    store: &SqlSubscriberStore,
    impi: &str,
    secrets: bool,
    json: bool,
) -> anyhow::Result<()> {
    let Some(p) = store.get_private(impi).await? else {
        bail!("no subscriber {impi}");
    };
    let impus = impus_of(store, impi).await?;
    let (op_kind, op) = match &p.op {
        OpKind::Op(b) => ("OP", b),
        OpKind::Opc(b) => ("OPc", b),
    };
    let secret = |v: String| if secrets { v } else { "(hidden)".to_owned() };
    let set = |v: &Option<String>| v.as_ref().map(|_| "(set)".to_owned());
    let password = if secrets {
        p.digest_password.clone()
    } else {
        set(&p.digest_password)
    };
    let ha1 = if secrets {
        p.digest_ha1.clone()
    } else {
        set(&p.digest_ha1)
    };
    if json {
        let mut fields = vec![
            ("impi", Json::str(&p.impi)),
            ("realm", Json::str(&p.realm)),
            (
                "schemes",
                Json::Arr(schemes(&p).into_iter().map(Json::Str).collect()),
            ),
            ("amf", Json::str(hex(&p.amf))),
            ("sqn", Json::Int(i64::try_from(p.sqn).unwrap_or(i64::MAX))),
            ("op_kind", Json::str(op_kind)),
            ("password", Json::opt_str(password.as_deref())),
            ("ha1", Json::opt_str(ha1.as_deref())),
        ];
        if secrets {
            fields.push(("k", Json::str(hex(&p.k))));
            fields.push(("op", Json::str(hex(op))));
        }
        fields.push(("impus", Json::Arr(impus.iter().map(impu_json).collect())));
        println!("{}", Json::Obj(fields));
        return Ok(());
    }
    let mut t = Table::new(&["FIELD", "VALUE"]);
    let dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    for (k, v) in [
        ("impi", p.impi.clone()),
        ("realm", p.realm.clone()),
        ("schemes", schemes(&p).join(",")),
        ("k", secret(hex(&p.k))),
        (if op_kind == "OP" { "op" } else { "opc" }, secret(hex(op))),
        ("amf", hex(&p.amf)),
        ("sqn", p.sqn.to_string()),
        ("password", dash(password)),
        ("ha1", dash(ha1)),
    ] {
        t.row(vec![k.to_owned(), v]);
    }
    print!("{t}");
    println!();
    let mut t = Table::new(&[
        "IMPU",
        "BARRED",
        "SET",
        "PROFILE",
        "STATE",
        "S-CSCF",
        "ORIGIN-HOST",
    ]);
    for v in &impus {
        t.row(vec![
            v.public.impu.clone(),
            if v.public.barred { "yes" } else { "no" }.to_owned(),
            v.public.implicit_set.clone(),
            v.public.service_profile.clone(),
            state_name(v.state).to_owned(),
            dash(v.scscf.clone()),
            dash(v.origin_host.clone()),
        ]);
    }
    print!("{t}");
    Ok(())
}

async fn delete(
    store: &SqlSubscriberStore,
    impi: &str,
    keep_impus: bool,
    json: bool,
) -> anyhow::Result<()> {
    let publics = store.public_identities_of(impi).await?;
    if !store.delete_private(impi).await? {
        bail!("no subscriber {impi}");
    }
    let mut removed = Vec::new();
    if !keep_impus {
        for p in publics.iter().filter(|p| p.impis.iter().all(|i| i == impi)) {
            if store.delete_public(&p.impu).await? {
                removed.push(p.impu.clone());
            }
        }
    }
    if json {
        println!(
            "{}",
            Json::Obj(vec![
                ("impi", Json::str(impi)),
                (
                    "removed_impus",
                    Json::Arr(removed.into_iter().map(Json::Str).collect())
                ),
            ])
        );
    } else if removed.is_empty() {
        println!("deleted {impi}");
    } else {
        println!("deleted {impi} and {}", removed.join(", "));
    }
    Ok(())
}
