//! Who XMP says is in a photo, in the file or in a sidecar beside it (`photo.xmp` or
//! `photo.jpg.xmp`): face regions, the Metadata Working Group's (digiKam, Lightroom Classic,
//! Picasa when asked to, Photini, darktable), Microsoft's (Windows Photo Gallery) and IPTC's
//! image regions showing a person; and the people IPTC's "person shown" lists with no places
//! (`Iptc4xmpExt:PersonInImage`, written by Lightroom, digiKam, Photo Mechanic and others).

use std::path::{Path, PathBuf};

use super::{named, with_suffix, FaceTag};

pub(crate) const MWG_REGIONS: &str = "http://www.metadataworkinggroup.com/schemas/regions/";
pub(crate) const MWG_AREA: &str = "http://ns.adobe.com/xmp/sType/Area#";
pub(crate) const MWG_DIMENSIONS: &str = "http://ns.adobe.com/xap/1.0/sType/Dimensions#";
const MP_REGION: &str = "http://ns.microsoft.com/photo/1.2/t/Region#";
pub(crate) const IPTC_EXTENSION: &str = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/";
pub(crate) const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
/// XMP packets are plain text wherever a format embeds them (JPEG, PNG, TIFF, HEIF, DNG).
const XMP_START: &[u8] = b"<x:xmpmeta";
const XMP_END: &[u8] = b"</x:xmpmeta>";
/// What begins each JPEG segment of an extended XMP packet.
const EXTENSION: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";

/// Who the XMP packets held in a file's bytes say is in the photo: a file may hold several (a
/// RAW file's and its preview's, a second image's). The whole file is searched (a RAW file's
/// may be anywhere), with SIMD: a plain search of a 24 MB RAW file cost 7 ms, this one under
/// 1 ms.
pub(super) fn embedded(file: &[u8]) -> Xmp {
    let mut found = Xmp::default();
    let mut take = |packet: &[u8]| {
        let packet = parse(&String::from_utf8_lossy(packet));
        found.regions.extend(packet.regions);
        found.pixel_regions.extend(packet.pixel_regions);
        found.people.extend(packet.people);
    };
    let mut rest = file;
    while let Some(start) = memchr::memmem::find(rest, XMP_START) {
        let Some(length) = memchr::memmem::find(&rest[start..], XMP_END) else {
            break;
        };
        let end = start + length + XMP_END.len();
        // A packet split over JPEG segments holds their headers: it is put back together below.
        let packet = &rest[start..end];
        if memchr::memmem::find(packet, EXTENSION).is_none() {
            take(packet);
        }
        rest = &rest[end..];
    }
    for packet in jpeg_extended(file) {
        take(&packet);
    }
    found
}

/// JPEG's extended XMP: a packet too large for one segment (64 kB), which Lightroom and others
/// split over APP1 segments, each with the packet's id, its whole length and the chunk's offset.
/// Nothing for a file that is not a JPEG or has none.
fn jpeg_extended(file: &[u8]) -> Vec<Vec<u8>> {
    /// The packet's id (32 hex digits), its length and the chunk's offset, each 4 bytes.
    const HEADER: usize = 32 + 4 + 4;
    if !file.starts_with(&[0xFF, 0xD8]) {
        return Vec::new();
    }
    let mut packets: Vec<(&[u8], Vec<u8>)> = Vec::new();
    let mut at = 2;
    // Segments up to the start of the image data, each marker with a big-endian length.
    while let Some(&[0xFF, marker, high, low]) = file.get(at..at + 4) {
        if marker == 0xDA || marker == 0xD9 {
            break;
        }
        let length = usize::from(u16::from_be_bytes([high, low]));
        let Some(body) = file.get(at + 4..at + 2 + length) else {
            break;
        };
        at += 2 + length;
        let Some(chunk) = body.strip_prefix(EXTENSION).filter(|c| c.len() > HEADER) else {
            continue;
        };
        let id = &chunk[..32];
        let number =
            |i: usize| u32::from_be_bytes([chunk[i], chunk[i + 1], chunk[i + 2], chunk[i + 3]]);
        let (total, offset) = (number(32) as usize, number(36) as usize);
        let data = &chunk[HEADER..];
        if total > file.len() || offset.checked_add(data.len()).is_none_or(|end| end > total) {
            continue;
        }
        let index = match packets.iter().position(|(known, _)| *known == id) {
            Some(index) => index,
            None => {
                packets.push((id, vec![0; total]));
                packets.len() - 1
            }
        };
        let packet = &mut packets[index].1;
        if packet.len() == total {
            packet[offset..offset + data.len()].copy_from_slice(data);
        }
    }
    packets.into_iter().map(|(_, packet)| packet).collect()
}

/// Where apps put a photo's XMP sidecar: Lightroom and digiKam beside it with `.xmp` for its
/// extension, darktable with `.xmp` added.
pub(crate) fn sidecars(path: &Path) -> [PathBuf; 2] {
    [path.with_extension("xmp"), with_suffix(path, ".xmp")]
}

/// Who an XMP document says is in the photo.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Xmp {
    pub regions: Vec<FaceTag>,
    /// Regions measured in pixels (IPTC's `rbUnit` "pixel"): x, y, width, height.
    pub pixel_regions: Vec<FaceTag>,
    /// People shown, with no places.
    pub people: Vec<String>,
}

/// Who the XMP document `xmp` says is in the photo; nobody when it is not one.
pub(crate) fn parse(xmp: &str) -> Xmp {
    let Ok(doc) = roxmltree::Document::parse(xmp) else {
        tracing::debug!("unreadable XMP");
        return Xmp::default();
    };
    let mut found = Xmp::default();
    for node in doc.descendants().filter(|n| n.is_element()) {
        let (namespace, name) = (node.tag_name().namespace(), node.tag_name().name());
        if namespace == Some(MWG_REGIONS) && name == "Area" {
            let region = node.parent_element();
            found
                .regions
                .extend(region.and_then(|region| mwg_region(region, node)));
        } else if namespace == Some(IPTC_EXTENSION) && name == "PersonInImage" {
            found.people.extend(items(node));
        } else if namespace == Some(IPTC_EXTENSION) && name == "RegionBoundary" {
            match node
                .parent_element()
                .and_then(|region| iptc_region(region, node))
            {
                Some((tag, Unit::Relative)) => found.regions.push(tag),
                Some((tag, Unit::Pixel)) => found.pixel_regions.push(tag),
                None => {}
            }
        } else {
            found.regions.extend(mp_region(node));
        }
    }
    found
}

/// The texts of the items of an RDF list (`rdf:Bag`, `rdf:Seq`) under `node`, not blank.
pub(crate) fn items<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
) -> impl Iterator<Item = String> + 'a {
    node.descendants()
        .filter(|n| is(*n, RDF, "li"))
        .filter_map(|li| li.text())
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

/// A region of the Metadata Working Group's schema, as written: its name and type where given,
/// and its area (left, top, width, height, in fractions of the photo).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MwgRegion {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub area: [f32; 4],
}

/// The MWG region an item of a region list holds (the item itself, or the `rdf:Description` in
/// it); `None` where it has no area in fractions of the photo.
pub(crate) fn mwg_item(li: roxmltree::Node) -> Option<MwgRegion> {
    let region = li
        .children()
        .find(|c| is(*c, RDF, "Description"))
        .unwrap_or(li);
    let area = region.children().find(|c| is(*c, MWG_REGIONS, "Area"))?;
    mwg_parts(region, area)
}

/// A face region of the Metadata Working Group's schema: `area` gives its centre and size, its
/// `region` the name and type (only faces are taken).
fn mwg_region(region: roxmltree::Node, area: roxmltree::Node) -> Option<FaceTag> {
    let parts = mwg_parts(region, area)?;
    if parts.kind.as_deref().is_some_and(|k| k != "Face") {
        return None;
    }
    named(parts.name?, parts.area)
}

/// The region `region` describes, whose area is its child `area`.
fn mwg_parts(region: roxmltree::Node, area: roxmltree::Node) -> Option<MwgRegion> {
    let unit = field(area, MWG_AREA, "unit");
    if unit.as_deref().is_some_and(|u| u != "normalized") {
        return None;
    }
    let number = |name| field(area, MWG_AREA, name)?.trim().parse::<f32>().ok();
    let (x, y, w, h) = (number("x")?, number("y")?, number("w")?, number("h")?);
    Some(MwgRegion {
        name: field(region, MWG_REGIONS, "Name"),
        kind: field(region, MWG_REGIONS, "Type"),
        area: [x - w / 2.0, y - h / 2.0, w, h],
    })
}

/// Whether `node` is the element `name` of `namespace`.
pub(crate) fn is(node: roxmltree::Node, namespace: &str, name: &str) -> bool {
    node.is_element()
        && node.tag_name().namespace() == Some(namespace)
        && node.tag_name().name() == name
}

/// How an IPTC region is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// In fractions of the photo's width and height.
    Relative,
    /// In its pixels.
    Pixel,
}

/// An image region of IPTC's schema showing one person (`PersonInImage` in the region):
/// `boundary` gives its top left corner and size, and its unit. Only rectangles are taken; the
/// person is still listed as shown in the photo otherwise.
fn iptc_region(region: roxmltree::Node, boundary: roxmltree::Node) -> Option<(FaceTag, Unit)> {
    let text = |name| field(boundary, IPTC_EXTENSION, name);
    if text("rbShape")?.trim() != "rectangle" {
        return None;
    }
    let unit = match text("rbUnit")?.trim() {
        "relative" => Unit::Relative,
        "pixel" => Unit::Pixel,
        _ => return None,
    };
    let number = |name| text(name)?.trim().parse::<f32>().ok();
    let area = [
        number("rbX")?,
        number("rbY")?,
        number("rbW")?,
        number("rbH")?,
    ];
    let shown = region
        .children()
        .find(|c| is(*c, IPTC_EXTENSION, "PersonInImage"))?;
    let people: Vec<String> = items(shown).collect();
    match people.as_slice() {
        [person] => named(person.clone(), area).map(|tag| (tag, unit)),
        _ => None,
    }
}

/// A region of Microsoft's schema: `Rectangle` is "left, top, width, height".
fn mp_region(node: roxmltree::Node) -> Option<FaceTag> {
    let rectangle = field(node, MP_REGION, "Rectangle")?;
    let name = field(node, MP_REGION, "PersonDisplayName")?;
    let numbers: Vec<f32> = rectangle
        .split(',')
        .map(|v| v.trim().parse().ok())
        .collect::<Option<_>>()?;
    named(name, numbers.try_into().ok()?)
}

/// A property of `node`, written as an attribute or as a child element (XMP allows both).
fn field(node: roxmltree::Node, namespace: &str, name: &str) -> Option<String> {
    if let Some(value) = node.attribute((namespace, name)) {
        return Some(value.to_owned());
    }
    node.children()
        .find(|c| is(*c, namespace, name))
        .and_then(|c| c.text())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::face_tags::tests::tag;

    const MWG_ATTRIBUTES: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
    xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#" xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#">
   <mwg-rs:Regions rdf:parseType="Resource">
    <mwg-rs:AppliedToDimensions stDim:w="1920" stDim:h="1398" stDim:unit="pixel"/>
    <mwg-rs:RegionList><rdf:Bag>
     <rdf:li><rdf:Description mwg-rs:Name="Anna Smith" mwg-rs:Type="Face">
      <mwg-rs:Area stArea:x="0.25" stArea:y="0.5" stArea:w="0.1" stArea:h="0.2" stArea:unit="normalized"/>
     </rdf:Description></rdf:li>
     <rdf:li><rdf:Description mwg-rs:Name="Rex" mwg-rs:Type="Pet">
      <mwg-rs:Area stArea:x="0.5" stArea:y="0.5" stArea:w="0.1" stArea:h="0.1" stArea:unit="normalized"/>
     </rdf:Description></rdf:li>
    </rdf:Bag></mwg-rs:RegionList>
   </mwg-rs:Regions>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"#;

    const MWG_ELEMENTS: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
    xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#">
   <mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag>
    <rdf:li rdf:parseType="Resource">
     <mwg-rs:Name>Ben</mwg-rs:Name>
     <mwg-rs:Area rdf:parseType="Resource">
      <stArea:x>0.6</stArea:x><stArea:y>0.4</stArea:y><stArea:w>0.2</stArea:w><stArea:h>0.2</stArea:h>
     </mwg-rs:Area>
    </rdf:li>
   </rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"#;

    const MICROSOFT: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description xmlns:MP="http://ns.microsoft.com/photo/1.2/"
    xmlns:MPRI="http://ns.microsoft.com/photo/1.2/t/RegionInfo#"
    xmlns:MPReg="http://ns.microsoft.com/photo/1.2/t/Region#">
   <MP:RegionInfo rdf:parseType="Resource"><MPRI:Regions><rdf:Bag>
    <rdf:li rdf:parseType="Resource">
     <MPReg:Rectangle>0.1, 0.2, 0.3, 0.4</MPReg:Rectangle>
     <MPReg:PersonDisplayName>Carl</MPReg:PersonDisplayName>
    </rdf:li>
   </rdf:Bag></MPRI:Regions></MP:RegionInfo>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"#;

    fn close(a: &[FaceTag], b: &[FaceTag]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(a, b)| {
                a.name == b.name && a.area.iter().zip(b.area).all(|(x, y)| (x - y).abs() < 1e-6)
            })
    }

    #[test]
    fn face_regions_are_read_in_each_schema_and_form() {
        let mwg = parse(MWG_ATTRIBUTES).regions;
        assert!(
            close(&mwg, &[tag("Anna Smith", [0.2, 0.4, 0.1, 0.2])]),
            "{mwg:?}"
        );
        let elements = parse(MWG_ELEMENTS).regions;
        assert!(
            close(&elements, &[tag("Ben", [0.5, 0.3, 0.2, 0.2])]),
            "{elements:?}"
        );
        let mp = parse(MICROSOFT).regions;
        assert!(close(&mp, &[tag("Carl", [0.1, 0.2, 0.3, 0.4])]), "{mp:?}");
        assert_eq!(parse("<x:xmpmeta><unclosed>"), Xmp::default());
    }

    #[test]
    fn the_people_shown_are_read_as_listed() {
        let xmp = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    xmlns:dc="http://purl.org/dc/elements/1.1/">
   <Iptc4xmpExt:PersonInImage><rdf:Bag>
    <rdf:li>Anna Lee</rdf:li><rdf:li> </rdf:li><rdf:li>Ben</rdf:li>
   </rdf:Bag></Iptc4xmpExt:PersonInImage>
   <dc:subject><rdf:Bag><rdf:li>beach</rdf:li></rdf:Bag></dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"#;
        let read = parse(xmp);
        assert_eq!(read.people, ["Anna Lee", "Ben"]);
        assert!(read.regions.is_empty());
    }

    #[test]
    fn iptc_image_regions_showing_one_person_are_read() {
        let xmp = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">
   <Iptc4xmpExt:ImageRegion><rdf:Bag>
    <rdf:li rdf:parseType="Resource">
     <Iptc4xmpExt:RegionBoundary rdf:parseType="Resource">
      <Iptc4xmpExt:rbShape>rectangle</Iptc4xmpExt:rbShape>
      <Iptc4xmpExt:rbUnit>relative</Iptc4xmpExt:rbUnit>
      <Iptc4xmpExt:rbX>0.1</Iptc4xmpExt:rbX><Iptc4xmpExt:rbY>0.2</Iptc4xmpExt:rbY>
      <Iptc4xmpExt:rbW>0.3</Iptc4xmpExt:rbW><Iptc4xmpExt:rbH>0.4</Iptc4xmpExt:rbH>
     </Iptc4xmpExt:RegionBoundary>
     <Iptc4xmpExt:PersonInImage><rdf:Bag><rdf:li>Dana</rdf:li></rdf:Bag></Iptc4xmpExt:PersonInImage>
    </rdf:li>
    <rdf:li rdf:parseType="Resource">
     <Iptc4xmpExt:RegionBoundary rdf:parseType="Resource" Iptc4xmpExt:rbShape="rectangle"
       Iptc4xmpExt:rbUnit="pixel" Iptc4xmpExt:rbX="10" Iptc4xmpExt:rbY="10"
       Iptc4xmpExt:rbW="100" Iptc4xmpExt:rbH="100"/>
     <Iptc4xmpExt:PersonInImage><rdf:Bag><rdf:li>Eli</rdf:li></rdf:Bag></Iptc4xmpExt:PersonInImage>
    </rdf:li>
    <rdf:li rdf:parseType="Resource">
     <Iptc4xmpExt:RegionBoundary rdf:parseType="Resource" Iptc4xmpExt:rbShape="rectangle"
       Iptc4xmpExt:rbUnit="relative" Iptc4xmpExt:rbX="0.5" Iptc4xmpExt:rbY="0.5"
       Iptc4xmpExt:rbW="0.2" Iptc4xmpExt:rbH="0.2"/>
     <Iptc4xmpExt:Name><rdf:Alt><rdf:li xml:lang="x-default">The sea</rdf:li></rdf:Alt></Iptc4xmpExt:Name>
    </rdf:li>
   </rdf:Bag></Iptc4xmpExt:ImageRegion>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"#;
        let read = parse(xmp);
        assert!(
            close(&read.regions, &[tag("Dana", [0.1, 0.2, 0.3, 0.4])]),
            "{:?}",
            read.regions
        );
        // A region measured in pixels is kept as it is, to be measured against the photo.
        assert_eq!(read.pixel_regions, [tag("Eli", [10.0, 10.0, 100.0, 100.0])]);
        assert_eq!(read.people, ["Dana", "Eli"]);
    }

    #[test]
    fn extended_xmp_split_over_jpeg_segments_is_put_back_together() {
        let packet = MWG_ELEMENTS.as_bytes();
        let id = b"0123456789ABCDEF0123456789ABCDEF";
        let mut file = vec![0xFF, 0xD8];
        let mut segment = |body: &[u8]| {
            file.extend_from_slice(&[0xFF, 0xE1]);
            file.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
            file.extend_from_slice(body);
        };
        segment(b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>");
        // Split inside the name, and the second half first: chunks say where they go.
        let half = MWG_ELEMENTS.find(">Ben<").expect("a name") + 2;
        for (offset, chunk) in [(half, &packet[half..]), (0, &packet[..half])] {
            let mut body = b"http://ns.adobe.com/xmp/extension/\0".to_vec();
            body.extend_from_slice(id);
            body.extend_from_slice(&(packet.len() as u32).to_be_bytes());
            body.extend_from_slice(&(offset as u32).to_be_bytes());
            body.extend_from_slice(chunk);
            segment(&body);
        }
        file.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9]);
        let found = embedded(&file);
        let names: Vec<&str> = found.regions.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Ben"]);
        // Damaged segments give nothing, and no panic.
        for cut in (2..file.len()).step_by(7) {
            jpeg_extended(&file[..cut]);
        }
    }

    #[test]
    fn every_packet_inside_a_file_is_read() {
        let mut file = b"\xff\xd8\xff\xe1\x00\x10http://ns.adobe.com/xap/1.0/\0".to_vec();
        file.extend_from_slice(MICROSOFT.as_bytes());
        file.extend_from_slice(b"\xff\xd9 a second image \xff\xd8");
        file.extend_from_slice(MWG_ELEMENTS.as_bytes());
        file.extend_from_slice(b"<x:xmpmeta cut short");
        let found = embedded(&file);
        let names: Vec<&str> = found.regions.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Carl", "Ben"]);
        assert_eq!(embedded(b"no metadata here"), Xmp::default());
    }
}
