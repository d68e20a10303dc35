//! SAR AUTHENTICATION_FAILURE and AUTHENTICATION_TIMEOUT (TS 29.228 §6.1.2.1, §8.1): a user
//! not registered loses the S-CSCF name its MAR stored, unless another S-CSCF has taken it
//! since; registered and unregistered users keep their assignment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use diameter_codec::generated::cx::{self, ServerAssignmentType as Sat};
use ims_hss::Hss;
use ims_store::RegistrationState;

const CAROL: &str = "carol@ims.test";
const CAROL_IMPU: &str = "sip:carol@ims.test";

async fn state(hss: &Hss) -> (RegistrationState, Option<String>) {
    let reg = hss.store().registration(CAROL_IMPU).await.unwrap();
    (reg.state, reg.scscf_name)
}

async fn challenge_from(hss: &Hss, server: &str) {
    let ans = ask(
        hss,
        mar_from(CAROL, CAROL_IMPU, "SIP Digest", 1, None, server),
        &cx::cmd::MAA,
    )
    .await;
    assert_eq!(result(&ans), base(2001));
}

async fn tell(hss: &Hss, sat: Sat, server: &str) {
    let ans = ask(
        hss,
        sar(Some(CAROL), Some(CAROL_IMPU), sat, server),
        &cx::cmd::SAA,
    )
    .await;
    assert_eq!(result(&ans), base(2001), "{sat:?}");
}

async fn unfinished_authentication(hss: Hss) {
    for sat in [Sat::AUTHENTICATION_FAILURE, Sat::AUTHENTICATION_TIMEOUT] {
        // Not registered: the name the MAR stored goes.
        challenge_from(&hss, SCSCF).await;
        assert_eq!(
            state(&hss).await,
            (RegistrationState::NotRegistered, Some(SCSCF.to_owned()))
        );
        tell(&hss, sat, SCSCF).await;
        assert_eq!(state(&hss).await, (RegistrationState::NotRegistered, None));

        // Another S-CSCF challenged since (MAR overwrites, §8.1): its name stays.
        challenge_from(&hss, SCSCF).await;
        challenge_from(&hss, OTHER_SCSCF).await;
        tell(&hss, sat, SCSCF).await;
        assert_eq!(
            state(&hss).await,
            (
                RegistrationState::NotRegistered,
                Some(OTHER_SCSCF.to_owned())
            )
        );
        tell(&hss, sat, OTHER_SCSCF).await;
        assert_eq!(state(&hss).await, (RegistrationState::NotRegistered, None));

        // Unregistered (served for terminating requests): the assignment stays.
        tell(&hss, Sat::UNREGISTERED_USER, SCSCF).await;
        tell(&hss, sat, SCSCF).await;
        assert_eq!(
            state(&hss).await,
            (RegistrationState::Unregistered, Some(SCSCF.to_owned()))
        );
        // Registered: a failed re-registration changes nothing.
        tell(&hss, Sat::REGISTRATION, SCSCF).await;
        tell(&hss, sat, SCSCF).await;
        assert_eq!(
            state(&hss).await,
            (RegistrationState::Registered, Some(SCSCF.to_owned()))
        );
        tell(&hss, Sat::USER_DEREGISTRATION, SCSCF).await;
        assert_eq!(state(&hss).await, (RegistrationState::NotRegistered, None));
    }
}

#[tokio::test]
async fn unfinished_authentication_memory() {
    with_hss(Kind::Memory, unfinished_authentication).await;
}

#[tokio::test]
async fn unfinished_authentication_sqlite() {
    with_hss(Kind::Sqlite, unfinished_authentication).await;
}
