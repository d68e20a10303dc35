//! Timer values (RFC 3261 §17.1.1.1, Table 4 of Appendix A; RFC 6026 §8.4 for L and M), and
//! the proxy's Timer C (§16.6 step 11).

use std::time::Duration;

/// Timer D's value on unreliable transports: "at least 32 seconds" (RFC 3261 §17.1.1.2).
const TIMER_D: Duration = Duration::from_secs(32);
/// The floor applied to T1, T2 and T4 so a misconfigured zero cannot spin the timer loop.
const FLOOR: Duration = Duration::from_millis(1);

/// The base timers every other timer derives from (RFC 3261 Appendix A).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// T1, the round-trip time estimate (default 500 ms): first retransmission interval.
    pub t1: Duration,
    /// T2, the maximum retransmission interval of non-INVITE requests and INVITE responses
    /// (default 4 s).
    pub t2: Duration,
    /// T4, the maximum time a message stays in the network (default 5 s).
    pub t4: Duration,
    /// Timer C, how long a proxied INVITE may go without a provisional response before the
    /// branch is cancelled (RFC 3261 §16.6 step 11: "larger than 3 minutes"; default 181 s).
    /// What Kamailio's tm calls `fr_inv_timer`.
    pub timer_c: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        Self {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            timer_c: Duration::from_secs(181),
        }
    }
}

impl TimerConfig {
    /// T1 (at least 1 ms).
    pub fn t1(&self) -> Duration {
        self.t1.max(FLOOR)
    }

    /// T2 (at least T1).
    pub fn t2(&self) -> Duration {
        self.t2.max(self.t1())
    }

    /// T4 (at least 1 ms).
    pub fn t4(&self) -> Duration {
        self.t4.max(FLOOR)
    }

    /// Timer C (at least 1 ms).
    pub fn timer_c(&self) -> Duration {
        self.timer_c.max(FLOOR)
    }

    /// 64·T1: Timers B, F, H, J (unreliable), L and M.
    pub fn t1_x64(&self) -> Duration {
        self.t1().saturating_mul(64)
    }

    /// Timer D: 32 s on unreliable transports, zero on reliable ones (RFC 3261 §17.1.1.2).
    pub fn timer_d(&self, reliable: bool) -> Duration {
        if reliable {
            Duration::ZERO
        } else {
            TIMER_D
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_floors() {
        let c = TimerConfig::default();
        assert_eq!(c.t1_x64(), Duration::from_secs(32));
        assert_eq!(c.timer_d(false), Duration::from_secs(32));
        assert_eq!(c.timer_d(true), Duration::ZERO);
        let zero = TimerConfig {
            t1: Duration::ZERO,
            t2: Duration::ZERO,
            t4: Duration::ZERO,
            timer_c: Duration::ZERO,
        };
        assert_eq!(zero.t1(), FLOOR);
        assert_eq!(zero.t2(), FLOOR);
        assert_eq!(zero.t4(), FLOOR);
        assert_eq!(zero.timer_c(), FLOOR);
        assert!(
            c.timer_c() > Duration::from_secs(180),
            "§16.6: over 3 minutes"
        );
    }
}
