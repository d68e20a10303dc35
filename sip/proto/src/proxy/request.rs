//! What a proxy does to a request before it can forward it: the checks of RFC 3261 §16.3, the
//! Route preprocessing of §16.4, target determination (§16.5, with static routes) and the
//! edits every branch shares (§16.6 steps 3, 6; §18.2.1 received, RFC 3581 rport).

use sip_types::{Edits, HeaderName, HeaderValue, Message, Method, NameAddr, StatusCode, Uri, Via};

use super::branch::{loop_hash, loop_hash_of_branch};
use super::local::LocalAddrs;
use super::locate::{HostTable, Target};
use super::routes::RouteTable;
use crate::flow::Flow;

/// A request the proxy answers itself instead of forwarding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Status code.
    pub status: StatusCode,
    /// Reason phrase naming the cause.
    pub reason: &'static str,
    /// Option tags for an `Unsupported` header (420).
    pub unsupported: Option<String>,
}

impl Rejection {
    fn new(status: StatusCode, reason: &'static str) -> Self {
        Self {
            status,
            reason,
            unsupported: None,
        }
    }
}

/// How to forward a request: the edits every branch shares and the targets to try in series.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Route pops, strict-routing rewrite, Max-Forwards, received/rport on the top Via.
    pub edits: Edits,
    /// Targets, tried in series.
    pub targets: Vec<Target>,
    /// Whether each branch gets a Record-Route (§16.6 step 4).
    pub record_route: bool,
    /// The loop hash to put in stateful branches.
    pub loop_hash: u32,
    /// Name of the static route used, if any.
    pub route: Option<String>,
    /// True when no Route value was left after ours were popped: the next hop comes from the
    /// Request-URI (a role in application mode decides it; see [`plan_for_role`]).
    pub by_request_uri: bool,
}

/// The routing context the checks need.
#[derive(Debug, Clone, Copy)]
pub struct RoutingContext<'a> {
    /// Our addresses.
    pub locals: &'a LocalAddrs,
    /// Static routes.
    pub routes: &'a RouteTable,
    /// Names resolved by the driver.
    pub hosts: &'a HostTable,
    /// Record-route initial dialog-forming requests.
    pub record_route: bool,
}

/// Methods whose initial request creates a dialog (RFC 3261 §12, RFC 6665, RFC 3515).
fn forms_dialog(method: &Method) -> bool {
    *method == Method::INVITE
        || *method == Method::SUBSCRIBE
        || *method == Method::REFER
        || *method == Method::NOTIFY
}

/// §16.3–§16.6: decide whether and where to forward `request`, received on `flow`.
pub fn plan(ctx: RoutingContext<'_>, request: &Message, flow: &Flow) -> Result<Plan, Rejection> {
    plan_inner(ctx, request, flow, true)
}

/// Like [`plan`], for a role that routes by Request-URI itself (a registrar, a CSCF): the
/// checks and the Route processing are the same, but when the next hop is the Request-URI the
/// plan comes back with no targets and `by_request_uri` set, instead of a 404 or a 503.
pub fn plan_for_role(
    ctx: RoutingContext<'_>,
    request: &Message,
    flow: &Flow,
) -> Result<Plan, Rejection> {
    plan_inner(ctx, request, flow, false)
}

fn plan_inner(
    ctx: RoutingContext<'_>,
    request: &Message,
    flow: &Flow,
    locate_request_uri: bool,
) -> Result<Plan, Rejection> {
    let method = request.method().cloned().unwrap_or(Method::OPTIONS);
    let mut edits = Edits::new();

    // §16.3 step 3: Max-Forwards.
    let max_forwards = request.max_forwards().map_err(|_| {
        Rejection::new(
            StatusCode::BAD_REQUEST,
            "Bad Request (malformed Max-Forwards)",
        )
    })?;
    match max_forwards {
        Some(0) => return Err(Rejection::new(StatusCode::TOO_MANY_HOPS, "Too Many Hops")),
        Some(n) => {
            if let Some(h) = request
                .headers()
                .iter()
                .find(|h| h.name == HeaderName::MAX_FORWARDS)
            {
                edits.replace(h.value_range.clone(), max_forwards_text(n - 1));
            }
        }
        None => {
            edits.append_header(request, "Max-Forwards", "70");
        }
    }

    // §16.3 step 4: loop detection through the hash carried in our own branches.
    let hash = loop_hash(request);
    let mut top_via = None;
    for value in request.header_values(HeaderName::VIA) {
        top_via.get_or_insert(value);
        if !ctx.locals.mentioned_in(value.text) {
            continue;
        }
        let Ok(via) = Via::parse(value.text) else {
            continue;
        };
        if ctx.locals.is_ours(&via.host, via.host_str, via.port, false)
            && via.branch().and_then(loop_hash_of_branch) == Some(hash)
        {
            return Err(Rejection::new(StatusCode::LOOP_DETECTED, "Loop Detected"));
        }
    }

    // §16.3 step 5: Proxy-Require; we support no extension that needs the proxy's help.
    if let Some(tags) = request.header(HeaderName::PROXY_REQUIRE) {
        let tags = tags.trim();
        if !tags.is_empty() {
            return Err(Rejection {
                status: StatusCode::BAD_EXTENSION,
                reason: "Bad Extension",
                unsupported: Some(tags.to_owned()),
            });
        }
    }

    // §18.2.1 received and RFC 3581 rport on the top Via.
    // The top value, kept from the loop check above.
    if let Some(top) = top_via {
        if let Some(value) = received_rport(request, &top, flow) {
            edits.replace(top.range.0..top.range.1, value);
        }
    }

    let request_uri = request.request_uri().unwrap_or("");
    let ruri = Uri::parse(request_uri).map_err(|_| {
        Rejection::new(
            StatusCode::BAD_REQUEST,
            "Bad Request (malformed Request-URI)",
        )
    })?;
    let routes: Vec<HeaderValue<'_>> = if request.header(HeaderName::ROUTE).is_some() {
        request.header_values(HeaderName::ROUTE).collect()
    } else {
        Vec::new()
    };
    let mut first = 0;
    let mut last = routes.len();

    // §16.4: a strict router before us put our Record-Route URI in the Request-URI; the real
    // Request-URI is the last Route value.
    let mut new_ruri: Option<String> = None;
    if let Uri::Sip(u) = &ruri {
        if u.user.is_none() && u.is_loose_route() && ctx.locals.is_our_uri(u) && !routes.is_empty()
        {
            if let Some(v) = routes.last() {
                let na = NameAddr::parse(v.text).map_err(|_| bad_route())?;
                new_ruri = Some(na.uri.to_owned());
                edits.remove_value(request, v);
                last -= 1;
            }
        }
    }
    // §16.4: pop the Route values that name us (two of them after double record-routing).
    while first < last {
        let na = NameAddr::parse(routes[first].text).map_err(|_| bad_route())?;
        match na.parsed_uri() {
            Ok(Uri::Sip(u)) if ctx.locals.is_our_uri(&u) => {
                edits.remove_value(request, &routes[first]);
                first += 1;
            }
            _ => break,
        }
    }

    // Only dialog-forming requests need the To tag looked at.
    let record_route = ctx.record_route
        && forms_dialog(&method)
        && request.to().ok().and_then(|t| t.tag()).is_none();
    let mut route_name = None;
    let by_request_uri = first >= last;
    if by_request_uri && !locate_request_uri {
        if let Some(uri) = new_ruri {
            edits.replace_request_uri(request, &uri);
        }
        return Ok(Plan {
            edits,
            targets: Vec::new(),
            record_route,
            loop_hash: hash,
            route: None,
            by_request_uri,
        });
    }

    // §16.5 / §16.6 step 6-7: the next hop.
    let targets = if first < last {
        let next = &routes[first];
        let na = NameAddr::parse(next.text).map_err(|_| bad_route())?;
        let Ok(Uri::Sip(next_uri)) = na.parsed_uri() else {
            return Err(Rejection::new(
                StatusCode::UNSUPPORTED_URI_SCHEME,
                "Unsupported URI Scheme (Route)",
            ));
        };
        if !next_uri.is_loose_route() {
            // §16.6 step 6: strict router next: it gets its URI as Request-URI, and the old
            // Request-URI travels as the last Route value.
            let old = new_ruri.take().unwrap_or_else(|| request_uri.to_owned());
            edits.remove_value(request, next);
            edits.append_header(request, "Route", &format!("<{old}>"));
            new_ruri = Some(na.uri.to_owned());
        }
        ctx.hosts.locate(&next_uri)
    } else {
        // The Request-URI was parsed above; parse again only after a strict router's rewrite.
        let reparsed;
        let target = match new_ruri.as_deref() {
            Some(effective) => {
                reparsed = Uri::parse(effective);
                reparsed.as_ref().map_err(|e| *e)
            }
            None => Ok(&ruri),
        };
        let target_uri = match target {
            Ok(Uri::Sip(u)) => *u,
            Ok(_) => {
                return Err(Rejection::new(
                    StatusCode::UNSUPPORTED_URI_SCHEME,
                    "Unsupported URI Scheme",
                ))
            }
            Err(_) => {
                return Err(Rejection::new(
                    StatusCode::BAD_REQUEST,
                    "Bad Request (malformed Route)",
                ))
            }
        };
        if let Some(route) = ctx.routes.find(&method, &target_uri) {
            route_name = Some(route.name.clone());
            route.destinations.clone()
        } else if ctx.locals.is_our_uri(&target_uri) {
            return Err(Rejection::new(
                StatusCode::NOT_FOUND,
                "Not Found (no route)",
            ));
        } else {
            ctx.hosts.locate(&target_uri)
        }
    };
    if targets.is_empty() {
        return Err(Rejection::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable (next hop not resolvable)",
        ));
    }
    if let Some(uri) = new_ruri {
        edits.replace_request_uri(request, &uri);
    }
    Ok(Plan {
        edits,
        targets,
        record_route,
        loop_hash: hash,
        route: route_name,
        by_request_uri,
    })
}

fn bad_route() -> Rejection {
    Rejection::new(StatusCode::BAD_REQUEST, "Bad Request (malformed Route)")
}

/// The top Via value with `received` (when the source differs from sent-by, or rport was asked
/// for) and a filled `rport` (RFC 3581 §4); `None` when nothing changes.
fn received_rport(request: &Message, top: &HeaderValue<'_>, flow: &Flow) -> Option<String> {
    let via = request.top_via().ok()?;
    let source_ip = flow.remote.ip();
    let wants_rport = via.rport().is_some();
    let sent_by_matches = match via.host {
        sip_types::Host::V4(a) => std::net::IpAddr::V4(a) == source_ip,
        sip_types::Host::V6(a) => std::net::IpAddr::V6(a) == source_ip,
        sip_types::Host::Domain(_) => false,
    };
    if sent_by_matches && !wants_rport {
        return None;
    }
    let head_len = top.text.len() - via.params.as_str().len();
    let mut out = String::with_capacity(top.text.len() + 40);
    out.push_str(top.text.get(..head_len)?.trim_end());
    for (name, value) in via.params.iter() {
        if name.eq_ignore_ascii_case("received") || name.eq_ignore_ascii_case("rport") {
            continue;
        }
        out.push(';');
        out.push_str(name);
        if let Some(v) = value {
            out.push('=');
            out.push_str(v);
        }
    }
    out.push_str(";received=");
    match source_ip {
        std::net::IpAddr::V4(a) => {
            for (i, octet) in a.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_decimal(&mut out, u32::from(octet));
            }
        }
        std::net::IpAddr::V6(a) => {
            use std::fmt::Write;
            let _ = write!(out, "{a}");
        }
    }
    if wants_rport {
        out.push_str(";rport=");
        push_decimal(&mut out, u32::from(flow.remote.port()));
    }
    Some(out)
}

/// `n` in decimal, without the formatting machinery.
fn push_decimal(out: &mut String, n: u32) {
    out.push_str(sip_types::Decimal::new(u64::from(n)).as_str());
}

/// The decremented Max-Forwards value (§16.6 step 3), capped at 255: static text, no
/// allocation.
fn max_forwards_text(n: u32) -> bytes::Bytes {
    /// `0` to `255`, each left-aligned in three bytes.
    static TEXT: [[u8; 3]; 256] = {
        let mut t = [[0u8; 3]; 256];
        let mut i = 0;
        while i < 256 {
            let v = i as u8;
            t[i] = if v >= 100 {
                [b'0' + v / 100, b'0' + v / 10 % 10, b'0' + v % 10]
            } else if v >= 10 {
                [b'0' + v / 10, b'0' + v % 10, 0]
            } else {
                [b'0' + v, 0, 0]
            };
            i += 1;
        }
        t
    };
    let v = n.min(255) as u8;
    let len = if v >= 100 {
        3
    } else if v >= 10 {
        2
    } else {
        1
    };
    let text: &'static [u8; 3] = &TEXT[usize::from(v)];
    bytes::Bytes::from_static(text.get(..len).unwrap_or_default())
}

/// Where a response goes next (RFC 3261 §18.2.2, RFC 3581 §4): the sent-by of `via`, or its
/// `received` and `rport` when present. Returns the transport and address.
pub fn response_destination(via: &Via<'_>) -> Option<Target> {
    let transport = crate::flow::Transport::from_token(via.transport)?;
    let ip: std::net::IpAddr = match via.received() {
        Some(r) => r
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()?,
        None => match via.host {
            sip_types::Host::V4(a) => a.into(),
            sip_types::Host::V6(a) => a.into(),
            // Names need the driver's resolver (RFC 3263 §5); the sender gave no address.
            sip_types::Host::Domain(_) => return None,
        },
    };
    let default_port = if transport == crate::flow::Transport::Tls {
        5061
    } else {
        5060
    };
    let port = via.rport().flatten().or(via.port).unwrap_or(default_port);
    Some(Target {
        transport,
        addr: std::net::SocketAddr::new(ip, port),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request with its top Via as `received_rport` leaves it.
    fn top_via_after(via: &str, from: &str) -> String {
        let text = format!(
            "OPTIONS sip:a@b SIP/2.0\r\nVia: {via}\r\nFrom: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\n\
             Call-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n"
        );
        let request = Message::parse(bytes::Bytes::from(text)).unwrap();
        let top = request.header_values(HeaderName::VIA).next().unwrap();
        let flow = Flow {
            transport: crate::flow::Transport::Udp,
            remote: from.parse().unwrap(),
            local: "127.0.0.1:5060".parse().unwrap(),
            connection: None,
        };
        let mut edits = Edits::new();
        if let Some(value) = received_rport(&request, &top, &flow) {
            edits.replace(top.range.0..top.range.1, value);
        }
        let out = Message::parse(edits.apply(&request)).unwrap();
        out.header(HeaderName::VIA).unwrap().to_owned()
    }

    #[test]
    fn received_and_rport_on_the_top_via() {
        let from = "192.0.2.9:5070";
        for (via, expected) in [
            (
                "SIP/2.0/UDP h:5070;branch=z9hG4bK1",
                "SIP/2.0/UDP h:5070;branch=z9hG4bK1;received=192.0.2.9",
            ),
            ("SIP/2.0/UDP h", "SIP/2.0/UDP h;received=192.0.2.9"),
            // rport asked for, an old received, LWS, quotes.
            (
                "SIP/2.0/UDP h;rport;branch=z9hG4bK1",
                "SIP/2.0/UDP h;branch=z9hG4bK1;received=192.0.2.9;rport=5070",
            ),
            (
                "SIP/2.0/UDP h;received=10.0.0.1;branch=z9hG4bK1",
                "SIP/2.0/UDP h;branch=z9hG4bK1;received=192.0.2.9",
            ),
            (
                "SIP/2.0/UDP h ;branch = z9hG4bK1",
                "SIP/2.0/UDP h;branch=z9hG4bK1;received=192.0.2.9",
            ),
            (
                "SIP/2.0/UDP h;x=\"q\";branch=z9hG4bK1",
                "SIP/2.0/UDP h;x=q;branch=z9hG4bK1;received=192.0.2.9",
            ),
            // Sent-by is the source and no rport: unchanged.
            (
                "SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK1",
                "SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK1",
            ),
        ] {
            assert_eq!(top_via_after(via, from), expected, "{via}");
        }
        assert_eq!(
            top_via_after("SIP/2.0/UDP h;branch=z9hG4bK1", "[2001:db8::1]:5060"),
            "SIP/2.0/UDP h;branch=z9hG4bK1;received=2001:db8::1"
        );
    }

    #[test]
    fn printed_numbers_match_display() {
        for n in [0u32, 1, 9, 10, 69, 99, 100, 254, 255, 256, 70_000] {
            assert_eq!(&max_forwards_text(n)[..], n.min(255).to_string().as_bytes());
        }
        for n in [0u32, 7, 10, 5060, 65535, u32::MAX] {
            let mut s = String::new();
            push_decimal(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }
}
