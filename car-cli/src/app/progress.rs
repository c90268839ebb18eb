//! Upload progress: a bar with bytes, rate and ETA on a terminal; otherwise (or with
//! `--output json`) one JSON object per line on stderr. Byte counts are only drawn, never
//! written as lines: they come every 256 KiB.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use car_release::cos::{Progress, ProgressEvent};
use indicatif::{ProgressBar, ProgressStyle};

/// The callback for an upload, and the bar to clear at the end.
pub fn reporter(json: bool) -> (Progress, Option<ProgressBar>) {
    if !json && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let b = bar.clone();
        let p: Progress = Arc::new(move |e: &ProgressEvent| match e {
            ProgressEvent::Started {
                size,
                reused_bytes,
                reused_parts,
                ..
            } => {
                b.set_length(*size);
                b.set_position(*reused_bytes);
                if *reused_parts > 0 {
                    b.set_message(format!("resumed: {reused_parts} part(s) already uploaded"));
                }
            }
            ProgressEvent::Bytes { sent } => b.inc(*sent),
            ProgressEvent::Retrying { operation, .. } => {
                b.set_message(format!("retrying {operation}"))
            }
            ProgressEvent::CredentialsRenewed => b.set_message("renewed upload credentials"),
            _ => {}
        });
        (p, Some(bar))
    } else {
        let out = Mutex::new(());
        let p: Progress = Arc::new(move |e: &ProgressEvent| {
            if matches!(e, ProgressEvent::Bytes { .. }) {
                return;
            }
            if let Ok(line) = serde_json::to_string(e) {
                let _guard = out.lock();
                crate::exit::print_stderr(&format!("{line}\n"));
            }
        });
        (p, None)
    }
}
