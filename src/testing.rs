//! Helpers of the unit tests: a file opened in LibreOffice, as the office opens it.

use std::io::{Error, Result};

/// `bytes` saved as `name` and converted to PDF by LibreOffice; `None`, with the reason printed,
/// when `soffice` is not installed.
pub fn libreoffice_pdf(name: &str, bytes: &[u8]) -> Result<Option<Vec<u8>>> {
    if std::process::Command::new("soffice").arg("--version").output().is_err() {
        eprintln!("skipped: soffice (LibreOffice) is not installed");
        return Ok(None);
    }
    let dir = std::env::temp_dir().join(format!("firecast-office-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(name), bytes)?;
    let done = std::process::Command::new("soffice")
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(&dir)
        .arg(dir.join(name))
        .env("HOME", &dir)
        .output()?;
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let pdf = std::fs::read(dir.join(format!("{stem}.pdf")));
    std::fs::remove_dir_all(&dir).ok();
    if !done.status.success() {
        return Err(Error::other(format!("soffice: {}", String::from_utf8_lossy(&done.stderr))));
    }
    pdf.map(Some)
}

/// The pages of a PDF that LibreOffice wrote: (portrait, landscape) A4 pages.
pub fn a4_pages(pdf: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(pdf);
    let sizes: Vec<&str> = text.match_indices("/MediaBox[0 0 ").map(|(i, _)| &text[i + 14..i + 17]).collect();
    (sizes.iter().filter(|s| **s == "595").count(), sizes.iter().filter(|s| **s == "841").count())
}
