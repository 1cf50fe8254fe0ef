//! SVG to PNG: charts for Word files and share cards for phones, drawn with the system's fonts.

use std::sync::{Arc, LazyLock};

use resvg::{tiny_skia, usvg};

/// Largest width or height of a rendered picture, in pixels.
const MAX_SIDE_PX: u32 = 16_384;
/// Largest number of pixels of a rendered picture (256 MiB of RGBA).
const MAX_PIXELS: u64 = 64 * 1024 * 1024;

/// Families to use for generic sans-serif text, best first (CJK first, so that Chinese labels need no fallback).
const SANS_FAMILIES: &[&str] = &[
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "Droid Sans Fallback",
    "DejaVu Sans",
    "Liberation Sans",
    "Arial",
];
/// Families to use for generic serif text (and for families the system lacks), best first.
const SERIF_FAMILIES: &[&str] = &[
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "Source Han Serif CN",
    "Noto Serif SC",
    "AR PL UMing CN",
    "SimSun",
    "DejaVu Serif",
    "Liberation Serif",
    "Times New Roman",
];

/// The system fonts, loaded once, and the family used for text without a `font-family`.
struct SystemFonts {
    /// The font database shared by all renderings.
    db: Arc<usvg::fontdb::Database>,
    /// Family for text that names none.
    default_family: Option<String>,
}

/// The system fonts, loaded on first use.
static SYSTEM_FONTS: LazyLock<SystemFonts> = LazyLock::new(load_system_fonts);

/// Loads the system fonts and points the generic families at installed fonts, preferring CJK ones.
fn load_system_fonts() -> SystemFonts {
    let mut db = usvg::fontdb::Database::new();
    db.load_system_fonts();
    let installed = |wanted: &str| db.faces().any(|face| face.families.iter().any(|(name, _)| name == wanted));
    let pick = |candidates: &[&str]| candidates.iter().copied().find(|c| installed(c)).map(str::to_owned);
    let any_family = db.faces().find_map(|face| face.families.first()).map(|(name, _)| name.clone());
    let sans = pick(SANS_FAMILIES).or(any_family);
    let serif = pick(SERIF_FAMILIES).or_else(|| sans.clone());
    if let Some(family) = &sans {
        db.set_sans_serif_family(family.clone());
        db.set_monospace_family(family.clone());
        db.set_cursive_family(family.clone());
        db.set_fantasy_family(family.clone());
    }
    if let Some(family) = &serif {
        db.set_serif_family(family.clone());
    }
    SystemFonts { db: Arc::new(db), default_family: sans }
}

/// Renders an SVG string to PNG at `scale` (2.0 for print), using the system's fonts (CJK text needs a CJK font such
/// as Debian's fonts-noto-cjk; without one the text is simply missing, never an error). The font database is loaded
/// once (`LazyLock`).
///
/// The picture gets a white background, so it prints the same wherever it is placed. Images that the SVG links to
/// by file name are left out (nothing is read from disk); embedded raster images (data URLs) are not drawn either, as
/// charts are expected to be vector graphics. Rendering is CPU-bound (tens of
/// milliseconds for a chart); call it from a blocking task in async code.
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>, String> {
    if !scale.is_finite() || scale <= 0.0 {
        return Err(format!("invalid scale {scale}"));
    }
    let fonts = &*SYSTEM_FONTS;
    let mut options = usvg::Options {
        fontdb: Arc::clone(&fonts.db),
        languages: vec!["zh-CN".to_owned(), "en".to_owned()],
        // `<image>` elements may use data URLs but never make the renderer read a file.
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: usvg::ImageHrefResolver::default_data_resolver(),
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    };
    if let Some(family) = &fonts.default_family {
        options.font_family.clone_from(family);
    }
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| format!("invalid SVG: {e}"))?;
    let size = tree.size().scale_by(scale).ok_or_else(|| format!("cannot scale the SVG by {scale}"))?.to_int_size();
    let (width, height) = (size.width(), size.height());
    if width > MAX_SIDE_PX || height > MAX_SIDE_PX || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(format!("rendered SVG would be too large ({width}×{height} px)"));
    }
    let mut pixmap =
        tiny_skia::Pixmap::new(width, height).ok_or_else(|| format!("cannot allocate a {width}×{height} px image"))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| format!("cannot encode the PNG: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Width and height of a PNG, from its header.
    fn png_dimensions(png: &[u8]) -> (u32, u32) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()))
    }

    #[test]
    fn svg_renders_at_scale_with_the_rect_drawn() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">
            <rect x="10" y="10" width="60" height="40" fill="#1f77b4"/>
            <text x="100" y="60" font-size="20" font-family="sans-serif">示意图</text>
        </svg>"##;
        let png = svg_to_png(svg, 2.0).unwrap();
        assert_eq!(png_dimensions(&png), (400, 200));

        let pixmap = tiny_skia::Pixmap::decode_png(&png).unwrap();
        let at = |x: u32, y: u32| pixmap.pixel(x, y).unwrap();
        let inside = at(80, 60);
        assert!((inside.red(), inside.green(), inside.blue()) != (255, 255, 255), "rect not drawn");
        assert_eq!(inside.blue(), 0xb4);
        let outside = at(390, 190);
        assert_eq!((outside.red(), outside.green(), outside.blue(), outside.alpha()), (255, 255, 255, 255));
    }

    #[test]
    fn linked_files_are_not_read() {
        let dir = std::env::temp_dir().join(format!("docx-svg-link-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let linked = dir.join("red.svg");
        let red = r##"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">
            <rect width="10" height="10" fill="#f00"/>
        </svg>"##;
        std::fs::write(&linked, red).unwrap();
        let svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
                width="10" height="10">
                <image width="10" height="10" xlink:href="{}"/>
            </svg>"#,
            linked.display()
        );
        let png = svg_to_png(&svg, 1.0).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let pixel = tiny_skia::Pixmap::decode_png(&png).unwrap().pixel(5, 5).unwrap();
        assert_eq!((pixel.red(), pixel.green(), pixel.blue()), (255, 255, 255));
    }

    #[test]
    fn invalid_svg_is_an_error() {
        assert!(svg_to_png("<svg", 2.0).is_err());
        assert!(svg_to_png("not svg at all", 2.0).is_err());
        assert!(svg_to_png(r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#, 0.0).is_err());
        assert!(svg_to_png(r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#, f32::NAN).is_err());
        let huge = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"/>"#;
        assert!(svg_to_png(huge, 2.0).is_err());
    }
}
