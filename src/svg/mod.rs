//! Pictures drawn on the server as SVG, for any area's pages and for the Word report: bar, stacked,
//! line and ring charts, the schematic map of Jilin and QR codes; and their PNG renderings (charts
//! in Word files, a quiz result's share card).

pub mod chart;
pub mod map;
pub mod png;

/// A QR code of `text` (a link, a ticket) as an SVG image at least `side` pixels wide, with its
/// quiet zone; empty when the text is too long for a QR code.
pub fn qr(text: &str, side: u32) -> String {
    qrcode::QrCode::new(text.as_bytes()).map_or_else(
        |_| String::new(),
        |code| code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(side, side).quiet_zone(true).build(),
    )
}
