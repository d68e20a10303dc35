//! The credit-control server: CCR in, CCA out (RFC 4006 §5-§6, TS 32.299 §6.3-§6.4).

use std::sync::Arc;

use bytes::Bytes;
use diameter_codec::generated::base::avp as b;
use diameter_codec::generated::cc::{CcRequestType, CheckBalanceResult, RequestedAction};
use diameter_codec::generated::ro;
use diameter_codec::{
    error_answer_for, validate, AvpContainer, CommandFlags, Message, MessageBuilder, ResultCode,
    WriteAvps,
};

use crate::answer::{self, CreditAnswer, Money, Outcome};
use crate::clock::{Clock, SystemClock};
use crate::config::OcsConfig;
use crate::error::OcsError;
use crate::ledger::tx::Journal;
use crate::ledger::{Ledger, LedgerOptions, LedgerTx, Reservation};
use crate::request::{ChargingRequest, CreditRequest};
use crate::tariff::{ServiceKey, Tariff};

const SUCCESS: u32 = ResultCode::DIAMETER_SUCCESS.0;
const UNKNOWN_SESSION: u32 = ResultCode::DIAMETER_UNKNOWN_SESSION_ID.0;
const UNABLE_TO_COMPLY: u32 = ResultCode::DIAMETER_UNABLE_TO_COMPLY.0;
/// DIAMETER_CREDIT_LIMIT_REACHED (RFC 4006 §9.1).
const CREDIT_LIMIT_REACHED: u32 = 4012;
/// DIAMETER_USER_UNKNOWN (RFC 4006 §9.1).
const USER_UNKNOWN: u32 = 5030;
/// DIAMETER_RATING_FAILED (RFC 4006 §9.1).
const RATING_FAILED: u32 = 5031;
/// Rating-Group key of units outside Multiple-Services-Credit-Control.
const NO_RATING_GROUP: i64 = -1;

/// The OCS role: configuration, ledger and clock.
#[derive(Debug, Clone)]
pub struct Ocs {
    config: Arc<OcsConfig>,
    ledger: Ledger,
    clock: Arc<dyn Clock>,
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Top-level Result-Code from the per-service ones (TS 32.299 §6.4.3): success if any
/// service succeeded, else the first failure.
fn overall(credits: &[CreditAnswer]) -> u32 {
    if credits.iter().any(|c| c.result_code == SUCCESS) {
        SUCCESS
    } else {
        credits.first().map_or(SUCCESS, |c| c.result_code)
    }
}

impl Ocs {
    /// An OCS over `ledger` using the system clock for [`Ocs::handle`].
    pub fn new(config: OcsConfig, ledger: Ledger) -> Self {
        Self::with_clock(config, ledger, Arc::new(SystemClock))
    }

    /// An OCS whose [`Ocs::handle`] reads time from `clock`.
    pub fn with_clock(config: OcsConfig, ledger: Ledger, clock: Arc<dyn Clock>) -> Self {
        Self {
            config: Arc::new(config),
            ledger,
            clock,
        }
    }

    /// Checks `config`, opens the ledger and builds the OCS.
    pub async fn open(config: OcsConfig, options: &LedgerOptions) -> Result<Self, OcsError> {
        config.check()?;
        Ok(Self::new(config, Ledger::open(options).await?))
    }

    /// The ledger (administration API).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The configuration.
    pub fn config(&self) -> &OcsConfig {
        &self.config
    }

    /// Answers a request at the clock's current time (see [`Ocs::handle_at`]).
    pub async fn handle(&self, request: &Message) -> Bytes {
        self.handle_at(request, self.clock.now()).await
    }

    /// Answers a request received at `now` (Unix seconds). Never fails: malformed requests get
    /// the RFC 6733 §7 error answer, ledger failures DIAMETER_UNABLE_TO_COMPLY.
    pub async fn handle_at(&self, request: &Message, now: u64) -> Bytes {
        let (host, realm) = (&self.config.origin_host, &self.config.origin_realm);
        let h = request.header();
        if h.code != ro::cmd::CCR.code || h.application_id != ro::APPLICATION_ID {
            let code = if h.application_id == ro::APPLICATION_ID {
                ResultCode::DIAMETER_COMMAND_UNSUPPORTED
            } else {
                ResultCode::DIAMETER_APPLICATION_UNSUPPORTED
            };
            let mut a = MessageBuilder::answer(h);
            a.set_flag(CommandFlags::ERROR, true);
            if let Ok(Some(avp)) = request.find(b::SESSION_ID.code()) {
                a.put_raw(&avp);
            }
            a.put(&b::ORIGIN_HOST, host.as_str())
                .put(&b::ORIGIN_REALM, realm.as_str())
                .put(&b::RESULT_CODE, &code.0);
            return a.finish();
        }
        if let Err(e) = validate(request, &ro::cmd::CCR) {
            return error_answer_for(request, &e, host, realm);
        }
        let ccr = match ChargingRequest::read(request) {
            Ok(c) => c,
            Err(e) => return error_answer_for(request, &e, host, realm),
        };
        tracing::debug!(
            session_id = %ccr.session_id,
            request_type = ccr.request_type.0,
            request_number = ccr.request_number,
            "CCR"
        );
        match self.process(request, &ccr, now).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(session_id = %ccr.session_id, error = %e, "credit control failed");
                self.encode(request, &ccr, &Outcome::code(UNABLE_TO_COMPLY))
            }
        }
    }

    /// Releases reservations of sessions silent past Validity-Time plus the grace
    /// (RFC 4006 §13, Tcc) and forgets old stored answers; the caller runs it on a timer.
    pub async fn sweep(&self, now: u64) -> Result<usize, OcsError> {
        self.ledger
            .sweep(now, u64::from(self.config.answer_retention))
            .await
    }

    fn encode(&self, request: &Message, ccr: &ChargingRequest, out: &Outcome) -> Bytes {
        answer::encode(
            request,
            ccr,
            out,
            &self.config.origin_host,
            &self.config.origin_realm,
        )
    }

    fn tariff_for(&self, ccr: &ChargingRequest, cr: &CreditRequest) -> Option<&Tariff> {
        self.config.tariffs.select(&ServiceKey {
            service_identifier: cr.service_ids.first().copied(),
            service_context_id: &ccr.service_context_id,
            sip_method: ccr.sip_method.as_deref(),
        })
    }

    /// Units asked for: the request's, else the configured default, capped by `max_grant`.
    fn requested(&self, cr: &CreditRequest, tariff: &Tariff) -> u64 {
        let time = tariff.is_time();
        let default = if time {
            u64::from(self.config.default_grant)
        } else {
            1
        };
        let asked = cr
            .requested
            .and_then(|u| u.of(time))
            .filter(|&u| u > 0)
            .unwrap_or(default);
        if time {
            asked.min(u64::from(self.config.max_grant))
        } else {
            asked
        }
    }

    async fn process(
        &self,
        request: &Message,
        ccr: &ChargingRequest,
        now: u64,
    ) -> Result<Bytes, OcsError> {
        if ccr.is_event() {
            return match ccr
                .requested_action
                .unwrap_or(RequestedAction::DIRECT_DEBITING)
            {
                RequestedAction::PRICE_ENQUIRY | RequestedAction::CHECK_BALANCE => {
                    self.enquiry(request, ccr).await
                }
                RequestedAction::DIRECT_DEBITING | RequestedAction::REFUND_ACCOUNT => {
                    self.event(request, ccr, now).await
                }
                _ => Ok(self.encode(request, ccr, &Outcome::code(UNABLE_TO_COMPLY))),
            };
        }
        self.session(request, ccr, now).await
    }

    async fn resolve(tx: &mut LedgerTx, ccr: &ChargingRequest) -> Result<Option<String>, OcsError> {
        for key in &ccr.subscriptions {
            if let Some(a) = tx.account_of(key).await? {
                return Ok(Some(a));
            }
        }
        Ok(None)
    }

    /// Stores the answer with the changes and commits (idempotency, RFC 4006 §5.2).
    async fn commit(
        &self,
        mut tx: LedgerTx,
        request: &Message,
        ccr: &ChargingRequest,
        out: &Outcome,
        now: u64,
    ) -> Result<Bytes, OcsError> {
        let bytes = self.encode(request, ccr, out);
        tx.store_answer(
            &ccr.session_id,
            i64::from(ccr.request_number),
            &bytes,
            to_i64(now),
        )
        .await?;
        tx.commit().await?;
        Ok(bytes)
    }

    /// CCR-INITIAL / UPDATE / TERMINATION (RFC 4006 §5.2-§5.4, §6.1).
    async fn session(
        &self,
        request: &Message,
        ccr: &ChargingRequest,
        now: u64,
    ) -> Result<Bytes, OcsError> {
        let sid = ccr.session_id.as_str();
        let number = i64::from(ccr.request_number);
        let initial = ccr.request_type == CcRequestType::INITIAL_REQUEST;
        let terminate = ccr.request_type == CcRequestType::TERMINATION_REQUEST;
        let mut tx = self.ledger.begin().await?;
        let account_id = if initial {
            Self::resolve(&mut tx, ccr).await?
        } else {
            tx.session_account(sid).await?
        };
        let Some(account_id) = account_id else {
            // A repeated CCR-T arrives after its session is gone: answer it again.
            if let Some(stored) = tx.stored_answer(sid, number).await? {
                return Ok(answer::replay(&stored, request.header()));
            }
            let code = if initial {
                USER_UNKNOWN
            } else {
                UNKNOWN_SESSION
            };
            return Ok(self.encode(request, ccr, &Outcome::code(code)));
        };
        let acct = tx.lock_account(&account_id).await?;
        if let Some(stored) = tx.stored_answer(sid, number).await? {
            return Ok(answer::replay(&stored, request.header()));
        }
        let existing = tx.session_reservations(sid).await?;
        let mut available = acct.available();
        let (mut balance_delta, mut reserved_delta) = (0i64, 0i64);
        let validity = self.config.validity_time;
        let expires_at = to_i64(now)
            .saturating_add(i64::from(validity))
            .saturating_add(i64::from(self.config.reservation_grace));
        let mut credits = Vec::with_capacity(ccr.credits.len());
        let mut seen = Vec::with_capacity(ccr.credits.len());
        for cr in &ccr.credits {
            let rg = cr.rating_group.map_or(NO_RATING_GROUP, i64::from);
            if seen.contains(&rg) {
                // The same Rating-Group twice in one request: charge it once only.
                credits.push(CreditAnswer {
                    rating_group: cr.rating_group,
                    service_ids: cr.service_ids.clone(),
                    result_code: UNABLE_TO_COMPLY,
                    ..CreditAnswer::default()
                });
                continue;
            }
            seen.push(rg);
            let prev = existing.iter().find(|r| r.rating_group == rg);
            let tariff = match prev {
                Some(p) => self.config.tariffs.by_name(&p.tariff),
                None => self.tariff_for(ccr, cr),
            };
            let mut ans = CreditAnswer {
                rating_group: cr.rating_group,
                service_ids: cr.service_ids.clone(),
                result_code: RATING_FAILED,
                ..CreditAnswer::default()
            };
            let Some(tariff) = tariff else {
                credits.push(ans);
                continue;
            };
            let time = tariff.is_time();
            let (mut used_total, mut charged, granted_before, was_final) =
                prev.map_or((0, 0, 0, false), |p| {
                    (
                        to_u64(p.used_units),
                        p.charged,
                        to_u64(p.granted_units),
                        p.final_grant,
                    )
                });
            // Release the previous grant, then debit what was used of it (units beyond the
            // grant were not authorised and are not charged).
            if let Some(p) = prev {
                reserved_delta -= p.amount;
                available = available.saturating_add(p.amount);
            }
            let used = cr.used.of(time).unwrap_or(0).min(granted_before);
            if used > 0 {
                used_total = used_total.saturating_add(used);
                let debit = tariff
                    .price(used_total)
                    .saturating_sub(charged)
                    .clamp(0, available.max(0));
                if debit > 0 {
                    balance_delta -= debit;
                    available -= debit;
                    charged += debit;
                }
                tx.journal(&Journal {
                    account_id: &account_id,
                    session_id: Some(sid),
                    request_number: Some(number),
                    rating_group: Some(rg),
                    units: to_i64(used),
                    amount: debit,
                    reason: "session",
                    created_at: to_i64(now),
                })
                .await?;
            }
            if terminate {
                if prev.is_some() {
                    tx.delete_reservation(sid, rg, None).await?;
                }
                ans.result_code = SUCCESS;
                credits.push(ans);
                continue;
            }
            let requested = self.requested(cr, tariff);
            let granted = if was_final {
                0
            } else {
                tariff.affordable(used_total, charged, requested, available)
            };
            let mut hold = 0;
            if granted > 0 {
                hold = tariff
                    .price(used_total.saturating_add(granted))
                    .saturating_sub(charged);
                let next = tariff
                    .price(
                        used_total
                            .saturating_add(granted)
                            .saturating_add(tariff.step()),
                    )
                    .saturating_sub(charged);
                ans.final_unit = granted < requested || next > available;
                ans.result_code = SUCCESS;
                ans.granted = Some((granted, time));
                ans.validity_time = Some(validity);
                reserved_delta += hold;
                available -= hold;
            } else {
                ans.result_code = CREDIT_LIMIT_REACHED;
            }
            if granted > 0 || prev.is_some() {
                tx.put_reservation(&Reservation {
                    session_id: sid.to_owned(),
                    rating_group: rg,
                    service_id: cr.service_ids.first().map(|&s| i64::from(s)),
                    account_id: account_id.clone(),
                    tariff: tariff.name.clone(),
                    request_number: number,
                    granted_units: to_i64(granted),
                    amount: hold,
                    used_units: to_i64(used_total),
                    charged,
                    final_grant: ans.final_unit || granted == 0,
                    expires_at,
                })
                .await?;
            }
            credits.push(ans);
        }
        if terminate {
            // Release whatever the client did not report (RFC 4006 §5.4).
            for r in &existing {
                let reported = ccr
                    .credits
                    .iter()
                    .any(|c| c.rating_group.map_or(NO_RATING_GROUP, i64::from) == r.rating_group);
                if !reported {
                    if let Some(amount) = tx.delete_reservation(sid, r.rating_group, None).await? {
                        reserved_delta -= amount;
                    }
                }
            }
        }
        tx.adjust(&account_id, balance_delta, reserved_delta)
            .await?;
        let out = Outcome {
            result_code: overall(&credits),
            credits,
            remaining: Some(Money {
                micro: acct.balance.saturating_add(balance_delta),
                currency_code: acct.currency_code,
            }),
            ..Outcome::default()
        };
        self.commit(tx, request, ccr, &out, now).await
    }

    /// CCR-EVENT with DIRECT_DEBITING or REFUND_ACCOUNT (RFC 4006 §6.3, §6.4).
    async fn event(
        &self,
        request: &Message,
        ccr: &ChargingRequest,
        now: u64,
    ) -> Result<Bytes, OcsError> {
        let number = i64::from(ccr.request_number);
        let refund = ccr.requested_action == Some(RequestedAction::REFUND_ACCOUNT);
        let mut tx = self.ledger.begin().await?;
        let Some(account_id) = Self::resolve(&mut tx, ccr).await? else {
            return Ok(self.encode(request, ccr, &Outcome::code(USER_UNKNOWN)));
        };
        let acct = tx.lock_account(&account_id).await?;
        if let Some(stored) = tx.stored_answer(&ccr.session_id, number).await? {
            return Ok(answer::replay(&stored, request.header()));
        }
        let mut available = acct.available();
        let (mut balance_delta, mut total) = (0i64, 0i64);
        let mut credits = Vec::with_capacity(ccr.credits.len());
        for cr in &ccr.credits {
            let mut ans = CreditAnswer {
                rating_group: cr.rating_group,
                service_ids: cr.service_ids.clone(),
                result_code: RATING_FAILED,
                ..CreditAnswer::default()
            };
            let Some(tariff) = self.tariff_for(ccr, cr) else {
                credits.push(ans);
                continue;
            };
            let units = self.requested(cr, tariff);
            let cost = tariff.price(units);
            if refund {
                balance_delta = balance_delta.saturating_add(cost);
                available = available.saturating_add(cost);
            } else if cost <= available {
                balance_delta -= cost;
                available -= cost;
            } else {
                ans.result_code = CREDIT_LIMIT_REACHED;
                credits.push(ans);
                continue;
            }
            total = total.saturating_add(cost);
            tx.journal(&Journal {
                account_id: &account_id,
                session_id: Some(&ccr.session_id),
                request_number: Some(number),
                rating_group: cr.rating_group.map(i64::from),
                units: to_i64(units),
                amount: if refund { -cost } else { cost },
                reason: if refund { "refund" } else { "event" },
                created_at: to_i64(now),
            })
            .await?;
            ans.result_code = SUCCESS;
            ans.granted = Some((units, tariff.is_time()));
            credits.push(ans);
        }
        tx.adjust(&account_id, balance_delta, 0).await?;
        let result_code = overall(&credits);
        let out = Outcome {
            result_code,
            credits,
            cost: (result_code == SUCCESS).then_some(Money {
                micro: total,
                currency_code: acct.currency_code,
            }),
            remaining: Some(Money {
                micro: acct.balance.saturating_add(balance_delta),
                currency_code: acct.currency_code,
            }),
            ..Outcome::default()
        };
        self.commit(tx, request, ccr, &out, now).await
    }

    /// CCR-EVENT with PRICE_ENQUIRY (Cost-Information) or CHECK_BALANCE
    /// (Check-Balance-Result): nothing is reserved or debited (RFC 4006 §6.5, §6.6).
    async fn enquiry(&self, request: &Message, ccr: &ChargingRequest) -> Result<Bytes, OcsError> {
        let mut account = None;
        for key in &ccr.subscriptions {
            if let Some(a) = self.ledger.account_for(key).await? {
                account = Some(a);
                break;
            }
        }
        let Some(account_id) = account else {
            return Ok(self.encode(request, ccr, &Outcome::code(USER_UNKNOWN)));
        };
        let acct = self.ledger.balance(&account_id).await?;
        let mut total = 0i64;
        for cr in &ccr.credits {
            let Some(tariff) = self.tariff_for(ccr, cr) else {
                return Ok(self.encode(request, ccr, &Outcome::code(RATING_FAILED)));
            };
            total = total.saturating_add(tariff.price(self.requested(cr, tariff)));
        }
        let mut out = Outcome::code(SUCCESS);
        if ccr.requested_action == Some(RequestedAction::PRICE_ENQUIRY) {
            out.cost = Some(Money {
                micro: total,
                currency_code: acct.currency_code,
            });
        } else {
            out.check_balance = Some(if total <= acct.available() {
                CheckBalanceResult::ENOUGH_CREDIT
            } else {
                CheckBalanceResult::NO_CREDIT
            });
        }
        Ok(self.encode(request, ccr, &out))
    }
}
