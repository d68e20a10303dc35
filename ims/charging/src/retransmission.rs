//! Re-sending a request (RFC 6733 §3, §5.5.4): End-to-End Identifiers chosen here, so that
//! every copy of a request keeps its identifier, and the T flag on a copy sent after an
//! attempt that got no answer, so that the server can tell it from a new request.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use bytes::{Bytes, BytesMut};
use diameter_codec::CommandFlags;

/// Offset of the Command Flags in the header (RFC 6733 §3).
const FLAGS_OFFSET: usize = 4;

/// The process's End-to-End counter, seeded on first use.
static END_TO_END: OnceLock<AtomicU32> = OnceLock::new();

/// The first identifier: the low 12 bits of the time in the high 12 bits, then 20 bits from
/// the sub-second clock and the process id (RFC 6733 §3 asks for a random value there).
fn seed(unix_seconds: u64, subsec_nanos: u32, pid: u32) -> u32 {
    let high = u32::try_from(unix_seconds & 0xfff).unwrap_or(0) << 20;
    high | ((subsec_nanos ^ pid.rotate_left(10)) & 0x000f_ffff)
}

/// A new End-to-End Identifier, unique in this process; never 0 (which asks the node to
/// choose one).
pub(crate) fn next_end_to_end() -> u32 {
    let counter = END_TO_END.get_or_init(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        AtomicU32::new(seed(now.as_secs(), now.subsec_nanos(), std::process::id()))
    });
    loop {
        let v = counter.fetch_add(1, Ordering::Relaxed);
        if v != 0 {
            return v;
        }
    }
}

/// A copy of the encoded request `frame` with the T flag set.
pub(crate) fn marked(frame: &Bytes) -> Bytes {
    let mut buf = BytesMut::from(frame.as_ref());
    if let Some(flags) = buf.get_mut(FLAGS_OFFSET) {
        *flags |= CommandFlags::RETRANSMIT;
    }
    buf.freeze()
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_codec::generated::rf;
    use diameter_codec::{Message, MessageBuilder};

    #[test]
    fn marked_copy_keeps_everything_but_the_t_flag() {
        let frame = MessageBuilder::request(&rf::cmd::ACR, 1, 2).finish();
        let copy = Message::decode(marked(&frame)).unwrap();
        assert!(copy.header().flags.is_retransmit() && copy.header().flags.is_request());
        assert_eq!(copy.header().end_to_end, 2);
        assert!(!Message::decode(frame)
            .unwrap()
            .header()
            .flags
            .is_retransmit());
        assert_eq!(marked(&Bytes::from_static(&[1, 2])).len(), 2);
    }

    #[test]
    fn identifiers_carry_the_time_and_differ() {
        assert_eq!(seed(0x1234_5abc, 7, 0) >> 20, 0xabc);
        assert_ne!(seed(1, 7, 1), seed(1, 7, 2));
        let (a, b) = (next_end_to_end(), next_end_to_end());
        assert!(a != b && a != 0 && b != 0);
    }
}
