//! Checks and cleans photos uploaded as evidence (activity photos, hazard
//! photos sent from residents' phones).
//!
//! [`process`] accepts only JPEG, PNG and WebP files, recognised by their
//! leading "magic" bytes; the file name and the MIME type sent by the client
//! are never trusted. Before any pixel is decoded the image dimensions are
//! read from the file header, so a small file that claims to be enormous (a
//! decompression bomb) is refused without allocating for it; the decoder is
//! also given hard [`Limits`].
//!
//! An accepted photo is decoded, flattened onto white if it has
//! transparency, scaled down so that its longest side is at most
//! [`MAX_SIDE`], turned upright according to its EXIF orientation, and
//! re-encoded as a baseline JPEG (quality 85). The output is written from the
//! pixels alone, so it carries no EXIF (and hence no GPS position), XMP, IPTC,
//! ICC profile or comment from the upload.

use std::fmt;
use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ExtendedColorType, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage};
use sha2::{Digest, Sha256};

/// Largest accepted upload.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// Longest side kept; larger photos are scaled down.
pub const MAX_SIDE: u32 = 2048;

/// Most pixels an upload may have (50 megapixels).
const MAX_PIXELS: u64 = 50_000_000;

/// Longest side an upload may have before it is scaled down.
const MAX_INPUT_SIDE: u32 = 20_000;

/// Memory the decoder may use. The largest accepted image decodes to at most
/// `MAX_PIXELS * 8` bytes (16-bit RGBA); the rest is room for the decoder's
/// own working buffers.
const MAX_DECODE_ALLOC: u64 = MAX_PIXELS * 8 + 64 * 1024 * 1024;

/// JPEG quality of the cleaned photo.
const JPEG_QUALITY: u8 = 85;

/// Filter used when scaling a photo down.
const RESIZE_FILTER: FilterType = FilterType::Lanczos3;

/// A cleaned photo: re-encoded JPEG with no metadata.
#[derive(Debug, Clone)]
pub struct Photo {
    /// The re-encoded JPEG file.
    pub jpeg: Vec<u8>,
    /// Width of the cleaned photo in pixels.
    pub width: u32,
    /// Height of the cleaned photo in pixels.
    pub height: u32,
    /// SHA-256 of the decoded pixels (hex), so the same picture uploaded again
    /// (even re-saved) is recognised.
    ///
    /// It is computed over the width and height (each as a big-endian `u32`)
    /// followed by the final RGB8 pixel buffer, i.e. over exactly what was
    /// encoded into [`Photo::jpeg`], and written as lowercase hex. The same
    /// picture saved again losslessly (another PNG compression level, PNG
    /// versus lossless WebP, added or removed metadata) gives the same value;
    /// a lossy re-save that changes pixels does not.
    pub sha256: String,
}

/// Why an upload was refused, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    /// The upload is larger than [`MAX_BYTES`].
    #[error(
        "The photo is too big ({}). The largest photo you can upload is {}; please send a smaller copy.",
        Megabytes(*.bytes),
        Megabytes(*.max)
    )]
    TooLarge {
        /// Size of the upload in bytes.
        bytes: usize,
        /// The largest accepted size in bytes.
        max: usize,
    },
    /// The upload is not an image at all (or of no kind that could be named).
    #[error("This file is not a photo. Please upload a photo in JPEG, PNG or WebP format.")]
    NotAnImage,
    /// The upload is of a recognised kind that is not accepted; the value
    /// names that kind (for example `"GIF"`, `"SVG"`, `"PDF"` or `"HTML"`).
    #[error("{0} files are not accepted. Please upload a photo in JPEG, PNG or WebP format.")]
    UnsupportedType(String),
    /// The image is larger than 50 megapixels or wider or taller than
    /// 20,000 pixels.
    #[error(
        "The photo is {width} × {height} pixels, which is too large to process. Photos may have at most 50 megapixels and no side longer than 20,000 pixels."
    )]
    TooManyPixels {
        /// Width the file claims, in pixels.
        width: u32,
        /// Height the file claims, in pixels.
        height: u32,
    },
    /// The file looks like an accepted image but cannot be read; the value
    /// says why.
    #[error("The photo could not be read: {0}. Please try again, or send another copy of the photo.")]
    Corrupt(String),
}

/// A byte count shown to people in megabytes (MiB), rounded up to a tenth.
struct Megabytes(usize);

impl fmt::Display for Megabytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MIB: u128 = 1024 * 1024;
        let tenths = (self.0 as u128 * 10).div_ceil(MIB);
        if tenths.is_multiple_of(10) {
            write!(f, "{} MB", tenths / 10)
        } else {
            write!(f, "{}.{} MB", tenths / 10, tenths % 10)
        }
    }
}

/// Checks and re-encodes an upload.
///
/// The checks, in order: size ([`PhotoError::TooLarge`]), kind by magic
/// bytes ([`PhotoError::NotAnImage`], [`PhotoError::UnsupportedType`]),
/// dimensions from the header ([`PhotoError::TooManyPixels`]), and finally a
/// full decode ([`PhotoError::Corrupt`]).
pub fn process(bytes: &[u8]) -> Result<Photo, PhotoError> {
    if bytes.len() > MAX_BYTES {
        return Err(PhotoError::TooLarge { bytes: bytes.len(), max: MAX_BYTES });
    }
    let format = sniff(bytes)?;
    let (width, height) = match format {
        ImageFormat::Png => png_dimensions(bytes)?,
        ImageFormat::WebP => webp_dimensions(bytes)?,
        _ => jpeg_dimensions(bytes)?,
    };
    check_dimensions(width, height)?;

    let (image, orientation) = decode(bytes, format)?;
    let rgb = flatten_to_rgb8(image);
    let (new_width, new_height) = fit_within(rgb.width(), rgb.height(), MAX_SIDE);
    let rgb = if (new_width, new_height) == rgb.dimensions() {
        rgb
    } else {
        image::imageops::resize(&rgb, new_width, new_height, RESIZE_FILTER)
    };
    let mut upright = DynamicImage::ImageRgb8(rgb);
    upright.apply_orientation(orientation);
    let rgb = upright.into_rgb8();
    let (width, height) = rgb.dimensions();

    let mut hasher = Sha256::new();
    hasher.update(width.to_be_bytes());
    hasher.update(height.to_be_bytes());
    hasher.update(rgb.as_raw());
    let sha256 = format!("{:x}", hasher.finalize());

    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
        .encode(rgb.as_raw(), width, height, ExtendedColorType::Rgb8)
        .map_err(|e| PhotoError::Corrupt(format!("it could not be converted to JPEG ({e})")))?;

    Ok(Photo { jpeg, width, height, sha256 })
}

/// Decodes an accepted, size-checked upload and reads its EXIF orientation.
fn decode(bytes: &[u8], format: ImageFormat) -> Result<(DynamicImage, Orientation), PhotoError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_INPUT_SIDE);
    limits.max_image_height = Some(MAX_INPUT_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| decode_error(&e, bytes))?;

    // The decoder's own reading of the header must pass the same checks.
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height)?;
    if decoder.total_bytes() > MAX_DECODE_ALLOC {
        return Err(PhotoError::TooManyPixels { width, height });
    }

    // Unreadable orientation metadata is no reason to refuse a photo.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(&e, bytes))?;
    Ok((image, orientation))
}

/// Turns a decoder error into words for the user.
fn decode_error(error: &ImageError, bytes: &[u8]) -> PhotoError {
    match error {
        ImageError::Limits(_) => {
            let (width, height) = header_dimensions(bytes).unwrap_or((0, 0));
            PhotoError::TooManyPixels { width, height }
        }
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            PhotoError::Corrupt(ENDS_EARLY.to_owned())
        }
        ImageError::Unsupported(e) => PhotoError::Corrupt(format!("it is saved in a way that is not supported ({e})")),
        other => PhotoError::Corrupt(format!("the image data is damaged ({other})")),
    }
}

/// Detail for [`PhotoError::Corrupt`] when the file stops early.
const ENDS_EARLY: &str = "the file ends too early, so it may not have finished uploading";

/// Dimensions from the header of an upload already known to be JPEG, PNG or
/// WebP (used only to describe a limit error).
fn header_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    match sniff(bytes).ok()? {
        ImageFormat::Png => png_dimensions(bytes).ok(),
        ImageFormat::WebP => webp_dimensions(bytes).ok(),
        _ => jpeg_header(bytes).ok().map(|(width, height, _)| (width, height)),
    }
}

/// Refuses empty images and those over the pixel limits.
fn check_dimensions(width: u32, height: u32) -> Result<(), PhotoError> {
    if width == 0 || height == 0 {
        return Err(PhotoError::Corrupt("the file says the picture has no pixels".to_owned()));
    }
    if width > MAX_INPUT_SIDE || height > MAX_INPUT_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PhotoError::TooManyPixels { width, height });
    }
    Ok(())
}

/// Decides the kind of an upload from its first bytes.
///
/// Returns the format for JPEG, PNG and WebP; otherwise
/// [`PhotoError::UnsupportedType`] for a kind that can be named and
/// [`PhotoError::NotAnImage`] for anything else.
fn sniff(bytes: &[u8]) -> Result<ImageFormat, PhotoError> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(ImageFormat::Jpeg);
    }
    if bytes.starts_with(PNG) {
        return Ok(ImageFormat::Png);
    }
    if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        return Ok(ImageFormat::WebP);
    }
    match refused_kind(bytes) {
        Some(kind) => Err(PhotoError::UnsupportedType(kind.to_owned())),
        None => Err(PhotoError::NotAnImage),
    }
}

/// Names the kind of a file that is not accepted, where it can be told.
fn refused_kind(bytes: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some("GIF");
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return Some("TIFF or camera RAW");
    }
    if starts(b"BM") && bytes.len() >= 26 {
        let header = u32::from_le_bytes([bytes[14], bytes[15], bytes[16], bytes[17]]);
        if matches!(header, 12 | 40 | 52 | 56 | 64 | 108 | 124) {
            return Some("BMP");
        }
    }
    if starts(&[0xFF, 0x0A]) || starts(b"\0\0\0\x0CJXL \r\n\x87\n") {
        return Some("JPEG XL");
    }
    if starts(b"\0\0\0\x0CjP  \r\n\x87\n") || starts(&[0xFF, 0x4F, 0xFF, 0x51]) {
        return Some("JPEG 2000");
    }
    if starts(&[0, 0, 1, 0]) && bytes.len() >= 6 && bytes[4..6] != [0, 0] {
        return Some("ICO");
    }
    if starts(b"8BPS") {
        return Some("Photoshop");
    }
    if starts(b"PK\x03\x04") {
        return Some("ZIP");
    }
    if starts(b"RIFF") {
        return Some(match bytes.get(8..12) {
            Some(b"AVI ") => "Video",
            Some(b"WAVE") => "Audio",
            _ => "RIFF",
        });
    }
    if starts(b"\x7fELF") || starts(b"MZ") {
        return Some("Program");
    }
    if bytes.get(4..8) == Some(b"ftyp") {
        return Some(match bytes.get(8..12) {
            Some(b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1") => "HEIC",
            Some(b"avif" | b"avis") => "AVIF",
            Some(b"crx ") => "Camera RAW",
            _ => "Video",
        });
    }
    text_kind(bytes)
}

/// Names text-based formats (PDF, SVG, HTML, XML, `PostScript`) from the start
/// of the file, ignoring a byte-order mark, leading white space and case.
fn text_kind(bytes: &[u8]) -> Option<&'static str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    let head: Vec<u8> = bytes[start..].iter().take(1024).map(u8::to_ascii_lowercase).collect();
    let starts = |prefix: &[u8]| head.starts_with(prefix);
    let mentions_svg = head.windows(4).any(|w| w == b"<svg");
    if starts(b"%pdf-") {
        return Some("PDF");
    }
    if starts(b"%!ps") {
        return Some("PostScript");
    }
    if starts(b"<svg") || starts(b"<!doctype svg") || (starts(b"<") && mentions_svg) {
        return Some("SVG");
    }
    let html = [b"<!doctype html".as_slice(), b"<html", b"<head", b"<body", b"<script", b"<meta", b"<iframe", b"<!--"];
    if html.iter().any(|prefix| starts(prefix)) {
        return Some("HTML");
    }
    if starts(b"<?xml") {
        return Some("XML");
    }
    None
}

/// Width and height from a PNG's IHDR chunk.
fn png_dimensions(bytes: &[u8]) -> Result<(u32, u32), PhotoError> {
    let header = bytes.get(8..24).ok_or_else(|| PhotoError::Corrupt(ENDS_EARLY.to_owned()))?;
    if &header[4..8] != b"IHDR" {
        return Err(PhotoError::Corrupt("the PNG file does not start with an image header".to_owned()));
    }
    Ok((be32(&header[8..12]), be32(&header[12..16])))
}

/// Width and height from a WebP's first chunk (`VP8 `, `VP8L` or `VP8X`).
fn webp_dimensions(bytes: &[u8]) -> Result<(u32, u32), PhotoError> {
    let bad = || PhotoError::Corrupt("the WebP image header is damaged".to_owned());
    let chunk = bytes.get(12..16).ok_or_else(|| PhotoError::Corrupt(ENDS_EARLY.to_owned()))?;
    let data = bytes.get(20..30).ok_or_else(|| PhotoError::Corrupt(ENDS_EARLY.to_owned()))?;
    match chunk {
        b"VP8 " => {
            if data[3..6] != [0x9D, 0x01, 0x2A] {
                return Err(bad());
            }
            let width = u32::from(u16::from_le_bytes([data[6], data[7]]) & 0x3FFF);
            let height = u32::from(u16::from_le_bytes([data[8], data[9]]) & 0x3FFF);
            Ok((width, height))
        }
        b"VP8L" => {
            if data[0] != 0x2F {
                return Err(bad());
            }
            let bits = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
            Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => {
            let width = u32::from_le_bytes([data[4], data[5], data[6], 0]) + 1;
            let height = u32::from_le_bytes([data[7], data[8], data[9], 0]) + 1;
            Ok((width, height))
        }
        _ => Err(bad()),
    }
}

/// Width and height of a JPEG, refusing one whose image data stops before
/// its end-of-image marker.
fn jpeg_dimensions(bytes: &[u8]) -> Result<(u32, u32), PhotoError> {
    let (width, height, complete) = jpeg_header(bytes)?;
    // A picture over the limits is refused as such, whether or not complete.
    check_dimensions(width, height)?;
    if complete { Ok((width, height)) } else { Err(PhotoError::Corrupt(ENDS_EARLY.to_owned())) }
}

/// Walks a JPEG's marker segments up to the first scan.
///
/// Returns the width and height from the frame header, and whether an
/// end-of-image marker follows the start of the image data.
fn jpeg_header(bytes: &[u8]) -> Result<(u32, u32, bool), PhotoError> {
    let ends_early = || PhotoError::Corrupt(ENDS_EARLY.to_owned());
    let mut size = None;
    let mut pos = 2;
    loop {
        // Skip to the next marker, tolerating stray bytes and fill bytes.
        while bytes.get(pos).is_some_and(|&b| b != 0xFF) {
            pos += 1;
        }
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *bytes.get(pos).ok_or_else(ends_early)?;
        pos += 1;
        match marker {
            // Markers without a length field.
            0x01 | 0xD0..=0xD8 => continue,
            0xD9 => {
                return Err(PhotoError::Corrupt("the JPEG file contains no picture".to_owned()));
            }
            _ => {}
        }
        let length =
            bytes.get(pos..pos + 2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]]))).ok_or_else(ends_early)?;
        if length < 2 {
            return Err(PhotoError::Corrupt("the JPEG file structure is damaged".to_owned()));
        }
        let segment = bytes.get(pos + 2..pos + length);
        let is_frame = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_frame {
            let frame = segment.filter(|s| s.len() >= 5).ok_or_else(ends_early)?;
            let height = u32::from(u16::from_be_bytes([frame[1], frame[2]]));
            let width = u32::from(u16::from_be_bytes([frame[3], frame[4]]));
            size.get_or_insert((width, height));
        }
        if marker == 0xDA {
            let (width, height) =
                size.ok_or_else(|| PhotoError::Corrupt("the JPEG file has no image header".to_owned()))?;
            let scan = bytes.get(pos + length..).unwrap_or_default();
            let complete = scan.windows(2).any(|w| w == [0xFF, 0xD9]);
            return Ok((width, height, complete));
        }
        if let Some((width, height)) = size {
            // Refuse an oversized picture without reading further.
            if check_dimensions(width, height).is_err() {
                return Ok((width, height, false));
            }
        }
        pos += length;
    }
}

/// Reads a big-endian `u32` from four bytes.
fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Converts to 8-bit RGB, laying any transparency over a white background.
fn flatten_to_rgb8(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut rgb = RgbImage::new(rgba.width(), rgba.height());
    for (out, px) in rgb.pixels_mut().zip(rgba.pixels()) {
        let alpha = u16::from(px[3]);
        for channel in 0..3 {
            let value = (u16::from(px[channel]) * alpha + 255 * (255 - alpha) + 127) / 255;
            out[channel] = u8::try_from(value).unwrap_or(u8::MAX);
        }
    }
    rgb
}

/// Scales `width` × `height` down, keeping the aspect ratio, so that the
/// longest side is at most `max`; smaller sizes are returned unchanged.
fn fit_within(width: u32, height: u32, max: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= max {
        return (width, height);
    }
    let scale = |side: u32| {
        let scaled = (u64::from(side) * u64::from(max) + u64::from(longest) / 2) / u64::from(longest);
        u32::try_from(scaled).unwrap_or(max).clamp(1, max)
    };
    (scale(width), scale(height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
    use image::codecs::webp::WebPEncoder;
    use image::{ImageEncoder, Rgb, Rgba, RgbaImage};

    /// A deterministic, busy test picture.
    fn picture(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            let v = x.wrapping_mul(7) ^ y.wrapping_mul(13);
            Rgb([(v & 0xFF) as u8, ((x + y) & 0xFF) as u8, ((x * y) >> 3 & 0xFF) as u8])
        })
    }

    fn png(image: &RgbImage, compression: CompressionType, filter: PngFilter) -> Vec<u8> {
        let mut out = Vec::new();
        PngEncoder::new_with_quality(&mut out, compression, filter)
            .write_image(image.as_raw(), image.width(), image.height(), ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    fn png_default(image: &RgbImage) -> Vec<u8> {
        png(image, CompressionType::Default, PngFilter::Adaptive)
    }

    fn jpeg(image: &RgbImage) -> Vec<u8> {
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 90)
            .encode(image.as_raw(), image.width(), image.height(), ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// Marker segments of a JPEG before its first scan: (marker, payload).
    fn segments(jpeg: &[u8]) -> Vec<(u8, Vec<u8>)> {
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "not a JPEG");
        let mut out = Vec::new();
        let mut pos = 2;
        loop {
            assert_eq!(jpeg[pos], 0xFF, "marker expected at {pos}");
            let marker = jpeg[pos + 1];
            let len = usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
            out.push((marker, jpeg[pos + 4..pos + 2 + len].to_vec()));
            if marker == 0xDA {
                return out;
            }
            pos += 2 + len;
        }
    }

    /// Asserts that a JPEG carries no metadata: only the JFIF APP0 header and
    /// the segments needed to decode it.
    fn assert_no_metadata(jpeg: &[u8]) {
        for (marker, payload) in segments(jpeg) {
            match marker {
                0xE0 => assert!(payload.starts_with(b"JFIF\0"), "APP0 that is not JFIF"),
                0xDB | 0xC4 | 0xC0 | 0xC2 | 0xDA | 0xDD => {}
                other => panic!("unexpected segment FF{other:02X} in output"),
            }
        }
        assert_eq!(&jpeg[jpeg.len() - 2..], &[0xFF, 0xD9], "output lacks EOI");
    }

    /// Builds a big-endian EXIF block (with the "Exif\0\0" prefix): an IFD0
    /// with an optional orientation and a pointer to a GPS IFD holding a
    /// latitude and a processing-method string containing `marker`.
    fn exif_block(orientation: Option<u16>, marker: &[u8]) -> Vec<u8> {
        fn entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
            out.extend_from_slice(&tag.to_be_bytes());
            out.extend_from_slice(&kind.to_be_bytes());
            out.extend_from_slice(&count.to_be_bytes());
            out.extend_from_slice(&value);
        }
        const SHORT: u16 = 3;
        const LONG: u16 = 4;
        const ASCII: u16 = 2;
        const BYTE: u16 = 1;
        const RATIONAL: u16 = 5;
        const UNDEFINED: u16 = 7;

        let ifd0_entries: u16 = if orientation.is_some() { 2 } else { 1 };
        let ifd0_size = 2 + 12 * u32::from(ifd0_entries) + 4;
        let gps_offset = 8 + ifd0_size;
        let gps_entries = 4u16;
        let gps_size = 2 + 12 * u32::from(gps_entries) + 4;
        let latitude_offset = gps_offset + gps_size;
        let method_offset = latitude_offset + 24;
        let mut method = b"ASCII\0\0\0".to_vec();
        method.extend_from_slice(marker);

        let mut tiff = b"MM\0\x2a".to_vec();
        tiff.extend_from_slice(&8u32.to_be_bytes());
        tiff.extend_from_slice(&ifd0_entries.to_be_bytes());
        if let Some(o) = orientation {
            let v = o.to_be_bytes();
            entry(&mut tiff, 0x0112, SHORT, 1, [v[0], v[1], 0, 0]);
        }
        entry(&mut tiff, 0x8825, LONG, 1, gps_offset.to_be_bytes());
        tiff.extend_from_slice(&0u32.to_be_bytes());
        assert_eq!(u32::try_from(tiff.len()).unwrap(), gps_offset);

        tiff.extend_from_slice(&gps_entries.to_be_bytes());
        entry(&mut tiff, 0x0000, BYTE, 4, [2, 3, 0, 0]);
        entry(&mut tiff, 0x0001, ASCII, 2, *b"N\0\0\0");
        entry(&mut tiff, 0x0002, RATIONAL, 3, latitude_offset.to_be_bytes());
        entry(&mut tiff, 0x001B, UNDEFINED, u32::try_from(method.len()).unwrap(), method_offset.to_be_bytes());
        tiff.extend_from_slice(&0u32.to_be_bytes());
        assert_eq!(u32::try_from(tiff.len()).unwrap(), latitude_offset);
        for (num, den) in [(51u32, 1u32), (30, 1), (123_456, 10_000)] {
            tiff.extend_from_slice(&num.to_be_bytes());
            tiff.extend_from_slice(&den.to_be_bytes());
        }
        tiff.extend_from_slice(&method);

        let mut block = b"Exif\0\0".to_vec();
        block.extend_from_slice(&tiff);
        block
    }

    /// Inserts a marker segment right after a JPEG's SOI marker.
    fn splice_segment(jpeg: &[u8], marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        out.extend_from_slice(payload);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn png_in_jpeg_out_same_size() {
        let photo = process(&png_default(&picture(300, 200))).unwrap();
        assert_eq!((photo.width, photo.height), (300, 200));
        assert!(photo.jpeg.starts_with(&[0xFF, 0xD8, 0xFF]));
        let decoded = image::load_from_memory_with_format(&photo.jpeg, ImageFormat::Jpeg).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (300, 200));
        assert_no_metadata(&photo.jpeg);
        assert_eq!(photo.sha256.len(), 64);
        assert!(photo.sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }

    #[test]
    fn jpeg_and_webp_inputs_are_accepted() {
        let image = picture(64, 48);
        let photo = process(&jpeg(&image)).unwrap();
        assert_eq!((photo.width, photo.height), (64, 48));

        let mut webp = Vec::new();
        WebPEncoder::new_lossless(&mut webp).encode(image.as_raw(), 64, 48, ExtendedColorType::Rgb8).unwrap();
        let photo = process(&webp).unwrap();
        assert_eq!((photo.width, photo.height), (64, 48));
        assert_no_metadata(&photo.jpeg);
    }

    #[test]
    fn big_photo_is_scaled_to_max_side() {
        let photo = process(&png(&picture(3000, 1000), CompressionType::Fast, PngFilter::NoFilter)).unwrap();
        assert_eq!((photo.width, photo.height), (MAX_SIDE, 683));
        let decoded = image::load_from_memory(&photo.jpeg).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (2048, 683));

        let photo = process(&jpeg(&picture(900, 2500))).unwrap();
        assert_eq!((photo.width, photo.height), (737, MAX_SIDE));
    }

    #[test]
    fn fit_within_keeps_aspect_ratio() {
        assert_eq!(fit_within(2048, 10, 2048), (2048, 10));
        assert_eq!(fit_within(4096, 4096, 2048), (2048, 2048));
        assert_eq!(fit_within(20_000, 1, 2048), (2048, 1));
        assert_eq!(fit_within(4032, 3024, 2048), (2048, 1536));
    }

    #[test]
    fn exif_gps_and_other_metadata_are_removed() {
        const MARKER: &[u8] = b"GPS-SECRET-7f3a";
        let original = jpeg(&picture(80, 60));
        let mut upload = splice_segment(&original, 0xE1, &exif_block(None, MARKER));
        let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
        xmp.extend_from_slice(b"<x:xmpmeta><exif:GPSLatitude>51,30N</exif:GPSLatitude>");
        xmp.extend_from_slice(MARKER);
        xmp.extend_from_slice(b"</x:xmpmeta>");
        upload = splice_segment(&upload, 0xE1, &xmp);
        let mut icc = b"ICC_PROFILE\0\x01\x01".to_vec();
        icc.extend_from_slice(&[0u8; 128]);
        upload = splice_segment(&upload, 0xE2, &icc);
        let mut comment = b"taken at ".to_vec();
        comment.extend_from_slice(MARKER);
        upload = splice_segment(&upload, 0xFE, &comment);
        assert!(contains(&upload, b"Exif\0\0") && contains(&upload, MARKER));

        let photo = process(&upload).unwrap();
        assert_eq!((photo.width, photo.height), (80, 60));
        assert!(!contains(&photo.jpeg, b"Exif"));
        assert!(!contains(&photo.jpeg, MARKER));
        assert!(!contains(&photo.jpeg, b"GPS"));
        assert!(!contains(&photo.jpeg, b"ICC_PROFILE"));
        assert!(!contains(&photo.jpeg, b"http://ns.adobe.com"));
        assert!(!contains(&photo.jpeg, &123_456u32.to_be_bytes()));
        assert_no_metadata(&photo.jpeg);

        // The metadata changes nothing about the picture itself.
        assert_eq!(photo.sha256, process(&original).unwrap().sha256);
    }

    #[test]
    fn exif_orientation_is_applied() {
        // Left half red, right half blue; orientation 6 means "rotate 90°
        // clockwise to display", which puts the red half on top.
        let image = RgbImage::from_fn(40, 20, |x, _| if x < 20 { Rgb([255, 0, 0]) } else { Rgb([0, 0, 255]) });
        let upload = splice_segment(&jpeg(&image), 0xE1, &exif_block(Some(6), b"x"));
        let photo = process(&upload).unwrap();
        assert_eq!((photo.width, photo.height), (20, 40));
        let out = image::load_from_memory(&photo.jpeg).unwrap().into_rgb8();
        let top = out.get_pixel(10, 5);
        let bottom = out.get_pixel(10, 34);
        assert!(top[0] > 200 && top[2] < 60, "top should be red: {top:?}");
        assert!(bottom[2] > 200 && bottom[0] < 60, "bottom should be blue: {bottom:?}");
        assert!(!contains(&photo.jpeg, b"Exif"));

        // Orientation 8 (rotate 270° clockwise) puts the blue half on top.
        let upload = splice_segment(&jpeg(&image), 0xE1, &exif_block(Some(8), b"x"));
        let out = image::load_from_memory(&process(&upload).unwrap().jpeg).unwrap().into_rgb8();
        assert_eq!(out.dimensions(), (20, 40));
        assert!(out.get_pixel(10, 5)[2] > 200);
    }

    #[test]
    fn same_picture_saved_differently_has_same_hash() {
        let image = picture(120, 90);
        let fast = png(&image, CompressionType::Fast, PngFilter::NoFilter);
        let best = png(&image, CompressionType::Best, PngFilter::Paeth);
        assert_ne!(fast, best, "the two files should differ");
        let mut webp = Vec::new();
        WebPEncoder::new_lossless(&mut webp).encode(image.as_raw(), 120, 90, ExtendedColorType::Rgb8).unwrap();

        let a = process(&fast).unwrap();
        let b = process(&best).unwrap();
        let c = process(&webp).unwrap();
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(a.sha256, c.sha256);

        let mut expected = Sha256::new();
        expected.update(120u32.to_be_bytes());
        expected.update(90u32.to_be_bytes());
        expected.update(image.as_raw());
        assert_eq!(a.sha256, format!("{:x}", expected.finalize()));

        let other = process(&png_default(&picture(121, 90))).unwrap();
        assert_ne!(a.sha256, other.sha256);
    }

    #[test]
    fn transparency_is_flattened_onto_white() {
        let image = RgbaImage::from_fn(16, 16, |x, _| if x < 8 { Rgba([0, 0, 0, 0]) } else { Rgba([0, 0, 0, 255]) });
        let mut upload = Vec::new();
        PngEncoder::new(&mut upload).write_image(image.as_raw(), 16, 16, ExtendedColorType::Rgba8).unwrap();
        let photo = process(&upload).unwrap();
        let out = image::load_from_memory(&photo.jpeg).unwrap().into_rgb8();
        assert!(out.get_pixel(1, 8)[0] > 240, "transparent part should be white");
        assert!(out.get_pixel(14, 8)[0] < 15, "opaque part should stay black");
    }

    #[test]
    fn other_kinds_of_file_are_refused() {
        let cases: [(&[u8], PhotoError); 12] = [
            (b"", PhotoError::NotAnImage),
            (b"Hello, this is just some text.\n", PhotoError::NotAnImage),
            (&[0u8; 64], PhotoError::NotAnImage),
            (
                b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
                PhotoError::UnsupportedType("SVG".into()),
            ),
            (
                b"\xEF\xBB\xBF  <?xml version=\"1.0\"?>\n<svg width=\"10\" height=\"10\"/>",
                PhotoError::UnsupportedType("SVG".into()),
            ),
            (
                b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04",
                PhotoError::UnsupportedType("GIF".into()),
            ),
            (b"GIF87a\x0a\x00\x0a\x00", PhotoError::UnsupportedType("GIF".into())),
            (
                b"<!DOCTYPE html>\n<html><body><img src=x onerror=alert(1)></body></html>",
                PhotoError::UnsupportedType("HTML".into()),
            ),
            (b"\n<HTML><HEAD><TITLE>x</TITLE></HEAD></HTML>", PhotoError::UnsupportedType("HTML".into())),
            (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", PhotoError::UnsupportedType("PDF".into())),
            (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", PhotoError::UnsupportedType("HEIC".into())),
            (b"II*\0\x08\0\0\0", PhotoError::UnsupportedType("TIFF or camera RAW".into())),
        ];
        for (bytes, expected) in cases {
            let err = process(bytes).unwrap_err();
            assert_eq!(err, expected, "for {:?}", String::from_utf8_lossy(bytes));
            let message = err.to_string();
            assert!(message.contains("JPEG, PNG or WebP"), "{message}");
        }
    }

    #[test]
    fn renamed_text_with_image_name_is_still_refused() {
        // The content decides, whatever the file was called.
        let err = process(b"<html>photo.jpg</html>").unwrap_err();
        assert_eq!(err, PhotoError::UnsupportedType("HTML".into()));
    }

    #[test]
    fn huge_png_header_is_refused_before_decoding() {
        // A bare signature and IHDR claiming 100000 × 100000 with no image
        // data: a decode attempt would fail as Corrupt, so TooManyPixels shows
        // that the header alone decided.
        let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
        bomb.extend_from_slice(&13u32.to_be_bytes());
        bomb.extend_from_slice(b"IHDR");
        bomb.extend_from_slice(&100_000u32.to_be_bytes());
        bomb.extend_from_slice(&100_000u32.to_be_bytes());
        bomb.extend_from_slice(&[8, 2, 0, 0, 0]);
        bomb.extend_from_slice(&[0, 0, 0, 0]);
        let err = process(&bomb).unwrap_err();
        assert_eq!(err, PhotoError::TooManyPixels { width: 100_000, height: 100_000 });
        assert!(err.to_string().contains("50 megapixels"));

        // Under the side limit but over 50 megapixels.
        let mut wide = bomb.clone();
        wide[16..20].copy_from_slice(&10_000u32.to_be_bytes());
        wide[20..24].copy_from_slice(&6_000u32.to_be_bytes());
        assert!(matches!(process(&wide), Err(PhotoError::TooManyPixels { width: 10_000, height: 6_000 })));
    }

    #[test]
    fn huge_jpeg_and_webp_headers_are_refused() {
        // A real JPEG whose frame header is patched to claim 60000 × 60000.
        let mut upload = jpeg(&picture(16, 16));
        let sof = upload.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        upload[sof + 5..sof + 7].copy_from_slice(&60_000u16.to_be_bytes());
        upload[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
        assert_eq!(process(&upload).unwrap_err(), PhotoError::TooManyPixels { width: 60_000, height: 60_000 });

        // An extended WebP header claiming a 1,000,000 × 1,000,000 canvas.
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X".to_vec();
        webp.extend_from_slice(&10u32.to_le_bytes());
        webp.extend_from_slice(&[0, 0, 0, 0]);
        let side = (1_000_000u32 - 1).to_le_bytes();
        webp.extend_from_slice(&side[..3]);
        webp.extend_from_slice(&side[..3]);
        assert_eq!(process(&webp).unwrap_err(), PhotoError::TooManyPixels { width: 1_000_000, height: 1_000_000 });
    }

    #[test]
    fn oversized_upload_is_refused() {
        let upload = vec![0xFF; MAX_BYTES + 1];
        let err = process(&upload).unwrap_err();
        assert_eq!(err, PhotoError::TooLarge { bytes: MAX_BYTES + 1, max: MAX_BYTES });
        assert_eq!(
            err.to_string(),
            "The photo is too big (10.1 MB). The largest photo you can upload is 10 MB; please send a smaller copy."
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// Damaged uploads of every kind — bytes flipped anywhere, cut anywhere, or nothing but
        /// noise behind a real signature — are refused or read, never a panic.
        #[test]
        fn damaged_uploads_are_refused_never_a_panic(
            png_not_jpeg in proptest::prelude::any::<bool>(),
            flips in proptest::collection::vec((proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>()), 0..12),
            cut in proptest::prelude::any::<usize>(),
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
        ) {
            let valid = if png_not_jpeg { png_default(&picture(48, 36)) } else { jpeg(&picture(48, 36)) };
            let mut damaged = valid.clone();
            for (at, byte) in &flips {
                let at = at % damaged.len();
                damaged[at] ^= byte | 1;
            }
            damaged.truncate(8 + cut % damaged.len());
            let _ = process(&damaged);
            let mut noisy = valid[..8].to_vec();
            noisy.extend_from_slice(&noise);
            proptest::prop_assert!(process(&noisy).is_err());
        }
    }

    #[test]
    fn truncated_files_are_corrupt() {
        let full = jpeg(&picture(200, 150));
        for cut in [full.len() / 2, full.len() - 2, 300, 40, 3] {
            let err = process(&full[..cut]).unwrap_err();
            assert!(matches!(err, PhotoError::Corrupt(_)), "cut at {cut}: {err:?}");
        }

        let full = png_default(&picture(200, 150));
        for cut in [full.len() / 2, full.len() - 20, 30, 12] {
            let err = process(&full[..cut]).unwrap_err();
            assert!(matches!(err, PhotoError::Corrupt(_)), "cut at {cut}: {err:?}");
        }
        let message = process(&full[..full.len() / 2]).unwrap_err().to_string();
        assert!(message.starts_with("The photo could not be read"), "{message}");
    }

    #[test]
    fn damaged_image_data_is_corrupt() {
        let mut upload = png_default(&picture(64, 64));
        let idat = upload.windows(4).position(|w| w == b"IDAT").unwrap();
        for byte in &mut upload[idat + 10..idat + 60] {
            *byte ^= 0x5A;
        }
        assert!(matches!(process(&upload), Err(PhotoError::Corrupt(_))));
    }

    #[test]
    fn unusual_but_valid_inputs_are_accepted() {
        // Data after the end-of-image marker (as phones append for motion photos).
        let mut upload = jpeg(&picture(50, 40));
        upload.extend_from_slice(b"\0\0\0\x18ftypmp42 trailing video data");
        let photo = process(&upload).unwrap();
        assert_eq!((photo.width, photo.height), (50, 40));

        // 16-bit RGBA and 8-bit grey PNGs.
        let deep = image::ImageBuffer::<Rgba<u16>, Vec<u16>>::from_fn(30, 20, |x, y| {
            Rgba([u16::try_from(x * 2000).unwrap(), u16::try_from(y * 3000).unwrap(), 40_000, u16::MAX])
        });
        let mut upload = Vec::new();
        DynamicImage::ImageRgba16(deep).write_to(&mut Cursor::new(&mut upload), ImageFormat::Png).unwrap();
        let photo = process(&upload).unwrap();
        assert_eq!((photo.width, photo.height), (30, 20));

        let grey = image::GrayImage::from_fn(30, 20, |x, y| image::Luma([u8::try_from(x * 8 + y).unwrap()]));
        let mut upload = Vec::new();
        DynamicImage::ImageLuma8(grey).write_to(&mut Cursor::new(&mut upload), ImageFormat::Png).unwrap();
        let photo = process(&upload).unwrap();
        assert_eq!((photo.width, photo.height), (30, 20));
        assert_no_metadata(&photo.jpeg);
    }

    #[test]
    fn messages_are_readable() {
        assert_eq!(
            PhotoError::NotAnImage.to_string(),
            "This file is not a photo. Please upload a photo in JPEG, PNG or WebP format."
        );
        assert_eq!(
            PhotoError::UnsupportedType("GIF".into()).to_string(),
            "GIF files are not accepted. Please upload a photo in JPEG, PNG or WebP format."
        );
        assert_eq!(
            PhotoError::Corrupt(ENDS_EARLY.to_owned()).to_string(),
            "The photo could not be read: the file ends too early, so it may not have finished uploading. \
             Please try again, or send another copy of the photo."
        );
        assert_eq!(Megabytes(MAX_BYTES).to_string(), "10 MB");
        assert_eq!(Megabytes(1).to_string(), "0.1 MB");
        assert_eq!(Megabytes(15 * 1024 * 1024 / 10).to_string(), "1.5 MB");
    }
}
