//! Pictures drawn on the server as SVG, for any area's pages and for the Word report: bar, stacked,
//! line and ring charts, and the schematic map of Jilin; and their PNG renderings (charts in Word
//! files, a quiz result's share card).

pub mod chart;
pub mod map;
pub mod png;
