//! Rough UDP throughput of the driver on one core: a current_thread runtime echoes every
//! datagram back along its flow while a blocking client keeps a window of requests in flight.
//!
//! `cargo run --release -p sip-net --example udp_echo_rate [MESSAGES]`

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use sip_net::{ListenerConfig, NetConfig, NetEvent, Network, Transport};

const WINDOW: usize = 32;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let total: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || -> Result<(), String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async move {
            let listener = ListenerConfig {
                transport: Transport::Udp,
                addr: "127.0.0.1:0".parse().map_err(|_| "addr")?,
                tls: None,
            };
            let (net, mut rx) = Network::bind(&[listener], NetConfig::default())
                .await
                .map_err(|e| e.to_string())?;
            addr_tx
                .send(net.local_addr(Transport::Udp))
                .map_err(|e| e.to_string())?;
            while let Some(ev) = rx.recv().await {
                if let NetEvent::Message(m) = ev {
                    let _ = net.send(&m.flow, m.data);
                }
            }
            Ok(())
        })
    });
    let server = addr_rx.recv()?.ok_or("no UDP listener")?;
    let client = UdpSocket::bind("127.0.0.1:0")?;
    client.set_read_timeout(Some(Duration::from_secs(2)))?;
    let msg = format!(
        "OPTIONS sip:bench@{server} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKbench\r\n\
         Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:bench@{server}>\r\n\
         Call-ID: bench\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    let mut buf = [0u8; 2048];
    let started = Instant::now();
    let (mut sent, mut received, mut lost) = (0usize, 0usize, 0usize);
    while sent < WINDOW.min(total) {
        client.send_to(msg.as_bytes(), server)?;
        sent += 1;
    }
    while received + lost < total {
        match client.recv_from(&mut buf) {
            Ok(_) => received += 1,
            Err(_) => lost += sent - received - lost,
        }
        while sent < total && sent - received - lost < WINDOW {
            client.send_to(msg.as_bytes(), server)?;
            sent += 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{received} echoes ({lost} lost) of {} bytes in {secs:.2} s: {:.0} messages/s",
        msg.len(),
        received as f64 / secs
    );
    Ok(())
}
