//! The XMP text of a sidecar holding Kith's names: face regions of the Metadata Working Group's
//! schema (what digiKam, Lightroom Classic, Immich and Kith itself read) and IPTC's
//! people shown (`Iptc4xmpExt:PersonInImage`).
//!
//! A sidecar another app wrote is edited, not replaced: only the region list and the people
//! shown are rewritten, and every other byte stays as it was (an editor's history, ratings,
//! keywords). In the region list, a face region over a face Kith found is Kith's to write: named
//! as Kith names the face, or taken out where Kith names nobody there (or the user said the face
//! is not the region's person). Every other region stays as written (faces Kith did not find,
//! faces the user ignored or of people hidden, pets, focus points). Writing the same names again gives the
//! same bytes, so a sidecar with nothing new is left untouched.
//!
//! Apps disagree on whether a region is drawn on the photo as shown or as stored before its EXIF
//! orientation turns it: as the reading side does, the regions are read the way that puts more
//! of them over Kith's faces, as shown when that ties. Kith writes its own as shown.

use image::metadata::Orientation;

use std::ops::Range;

use roxmltree::Node;

use crate::scan::face_tags::turn;
use crate::scan::face_tags::xmp::{
    self, is, IPTC_EXTENSION, MWG_AREA, MWG_DIMENSIONS, MWG_REGIONS, RDF,
};

/// A face as Kith writes it: a name and where the face is, as left, top, width and height in
/// fractions of the upright photo's width and height.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedArea {
    pub name: String,
    pub area: [f32; 4],
}

/// What Kith says of one photo's faces.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhotoNames {
    /// The photo's upright size in pixels.
    pub size: (u32, u32),
    /// Its faces in named people.
    pub named: Vec<NamedArea>,
    /// Its faces with the name of a person the user said each is not.
    pub refused: Vec<NamedArea>,
    /// Its faces that nobody is named as (in no person, or in one without a name), as left, top,
    /// width and height in fractions.
    pub unnamed: Vec<[f32; 4]>,
}

/// Why a sidecar was left as it was.
#[derive(Debug, thiserror::Error)]
pub enum PacketError {
    #[error("it is not XML ({0})")]
    NotXml(String),
    #[error("it holds no XMP (no rdf:RDF element)")]
    NotXmp,
}

/// A new sidecar saying what `names` says.
pub fn fresh(names: &PhotoNames) -> String {
    let empty = format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>
<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"Kith {}\">
 <rdf:RDF xmlns:rdf=\"{RDF}\">
  <rdf:Description rdf:about=\"\"
    xmlns:mwg-rs=\"{MWG_REGIONS}\"
    xmlns:stDim=\"{MWG_DIMENSIONS}\"
    xmlns:stArea=\"{MWG_AREA}\"
    xmlns:Iptc4xmpExt=\"{IPTC_EXTENSION}\"/>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end=\"w\"?>
",
        env!("CARGO_PKG_VERSION")
    );
    // The template is well formed: merging into it cannot fail.
    merge(&empty, names, Orientation::NoTransforms).unwrap_or(empty)
}

/// The sidecar `old` saying what `names` says, everything else in it kept byte for byte, for a
/// photo whose stored pixels are `turned` to be upright.
pub fn merge(old: &str, names: &PhotoNames, turned: Orientation) -> Result<String, PacketError> {
    let doc = roxmltree::Document::parse(old).map_err(|e| PacketError::NotXml(e.to_string()))?;
    let rdf = doc
        .descendants()
        .find(|n| is(*n, RDF, "RDF"))
        .ok_or(PacketError::NotXmp)?;
    let host = rdf.children().find(|n| is(*n, RDF, "Description"));
    let regions = rdf.descendants().find(|n| is(*n, MWG_REGIONS, "Regions"));
    let shown = rdf.descendants().find(|n| {
        is(*n, IPTC_EXTENSION, "PersonInImage")
            && n.parent_element()
                .is_some_and(|p| is(p, RDF, "Description") && p.parent_element() == Some(rdf))
    });

    let (items, replaced) = region_plan(regions, names, turned);
    let people = people_list(shown, &replaced, names);

    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    let mut inserted = String::new();
    let region_scope = regions
        .and_then(|r| r.parent_element())
        .or(host)
        .unwrap_or(rdf);
    let region_text = (!items.is_empty()).then(|| region_list(old, region_scope, &items, names));
    match (regions, region_text) {
        (Some(node), text) => edits.push((node.range(), text.unwrap_or_default())),
        (None, Some(text)) => inserted.push_str(&format!("\n   {text}")),
        (None, None) => {}
    }
    let people_scope = shown
        .and_then(|s| s.parent_element())
        .or(host)
        .unwrap_or(rdf);
    let people_text = (!people.is_empty()).then(|| people_shown(people_scope, &people));
    match (shown, people_text) {
        (Some(node), text) => edits.push((node.range(), text.unwrap_or_default())),
        (None, Some(text)) => inserted.push_str(&format!("\n   {text}")),
        (None, None) => {}
    }
    if !inserted.is_empty() {
        edits.push(insertion(old, host, rdf, &inserted));
    }
    edits.sort_by_key(|(range, _)| range.start);
    let mut merged = String::with_capacity(old.len() + inserted.len());
    let mut at = 0;
    for (range, text) in edits {
        merged.push_str(&old[at..range.start]);
        merged.push_str(&text);
        at = range.end;
    }
    merged.push_str(&old[at..]);
    Ok(merged)
}

/// The region list as it will be: other apps' regions that stay, and Kith's, each where the
/// region it replaces was (so that writing again keeps the order), new ones at the end. With the
/// names of the regions Kith takes out or writes anew.
fn region_plan<'a, 'i>(
    regions: Option<Node<'a, 'i>>,
    names: &PhotoNames,
    turned: Orientation,
) -> (Vec<Item<'a, 'i>>, Vec<String>) {
    let mut items = Vec::new();
    let mut placed = vec![false; names.named.len()];
    let mut replaced = Vec::new();
    let listed: Vec<Node> = regions.iter().flat_map(|r| region_items(*r)).collect();
    let reading = reading(&listed, names, turned);
    for li in listed {
        match verdict(li, names, reading) {
            Verdict::Keep => items.push(Item::Kept(li)),
            Verdict::Replace { name, by } => {
                replaced.extend(name);
                if let Some(face) = by.filter(|&face| !placed[face]) {
                    placed[face] = true;
                    items.push(Item::Ours(face));
                }
            }
        }
    }
    let new_faces = (0..names.named.len()).filter(|&face| !placed[face]);
    items.extend(new_faces.map(Item::Ours));
    (items, replaced)
}

/// The people shown as they will be: those listed in `shown` but the ones whose regions Kith
/// took out, then Kith's.
fn people_list(shown: Option<Node>, replaced: &[String], names: &PhotoNames) -> Vec<String> {
    let mut people: Vec<String> = Vec::new();
    let ours = |name: &str| names.named.iter().any(|n| same_name(&n.name, name));
    let listed = shown.map(|s| xmp::items(s).collect::<Vec<_>>());
    for name in listed.into_iter().flatten() {
        if ours(&name) || !replaced.iter().any(|r| same_name(r, &name)) {
            push_name(&mut people, name);
        }
    }
    for face in &names.named {
        push_name(&mut people, face.name.clone());
    }
    people
}

enum Verdict {
    Keep,
    /// The region, of the person `name`, goes: over Kith's named face `by` (which takes its
    /// place), or over a face Kith names nobody or the user said is not that person.
    Replace {
        name: Option<String>,
        by: Option<usize>,
    },
}

/// An item of the region list written.
enum Item<'a, 'i> {
    /// A region as the sidecar has it.
    Kept(Node<'a, 'i>),
    /// Kith's region for this named face.
    Ours(usize),
}

/// How the regions `listed` are read: as drawn on the photo as shown, or on its stored pixels
/// (then turned as they are); the one that puts more face regions over Kith's faces.
fn reading(listed: &[Node], names: &PhotoNames, turned: Orientation) -> Orientation {
    if turned == Orientation::NoTransforms {
        return turned;
    }
    let faces: Vec<[f32; 4]> = names
        .named
        .iter()
        .chain(&names.refused)
        .map(|f| f.area)
        .chain(names.unnamed.iter().copied())
        .collect();
    let over_faces = |reading: Orientation| {
        listed
            .iter()
            .filter_map(|li| face_region(*li))
            .filter(|region| {
                let area = turn(region.area, reading);
                faces.iter().any(|&face| holds_centre(area, face))
            })
            .count()
    };
    if over_faces(turned) > over_faces(Orientation::NoTransforms) {
        turned
    } else {
        Orientation::NoTransforms
    }
}

/// The face region an item of the region list is, if it is one.
fn face_region(li: Node) -> Option<xmp::MwgRegion> {
    xmp::mwg_item(li).filter(|region| region.kind.as_deref().is_none_or(|k| k == "Face"))
}

/// What becomes of a region already in the sidecar, read as `reading` says.
fn verdict(li: Node, names: &PhotoNames, reading: Orientation) -> Verdict {
    let Some(region) = face_region(li) else {
        return Verdict::Keep;
    };
    let area = turn(region.area, reading);
    let over = |face: &NamedArea| holds_centre(area, face.area);
    let over_unnamed = names.unnamed.iter().any(|&face| holds_centre(area, face));
    let by = names.named.iter().position(over);
    let refused = names.refused.iter().any(|face| {
        over(face)
            && region
                .name
                .as_deref()
                .is_some_and(|n| same_name(n, &face.name))
    });
    if by.is_some() || over_unnamed || refused {
        Verdict::Replace {
            name: region.name,
            by,
        }
    } else {
        Verdict::Keep
    }
}

/// The items of the region list under an `mwg-rs:Regions` element.
fn region_items<'a, 'i>(regions: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    regions
        .children()
        .filter(|n| is(*n, MWG_REGIONS, "RegionList"))
        .flat_map(|list| list.children().filter(Node::is_element))
        .flat_map(|bag| bag.children().filter(|n| is(*n, RDF, "li")))
}

/// Whether region `region` holds the centre of `face` (both left, top, width, height): the test
/// the reading side uses to give a region to a face.
fn holds_centre(region: [f32; 4], face: [f32; 4]) -> bool {
    let (x, y) = (face[0] + face[2] / 2.0, face[1] + face[3] / 2.0);
    (region[0]..=region[0] + region[2]).contains(&x)
        && (region[1]..=region[1] + region[3]).contains(&y)
}

/// The `mwg-rs:Regions` element listing `items`: kept regions as written in `old`, Kith's
/// regions from `names`.
fn region_list(old: &str, scope: Node, items: &[Item], names: &PhotoNames) -> String {
    let mut prefixes = Prefixes::new(scope);
    // The kept items may use prefixes declared on the elements being replaced.
    for item in items {
        if let Item::Kept(li) = item {
            prefixes.carry(li.parent_element().unwrap_or(*li));
        }
    }
    let rdf = prefixes.of(RDF, "rdf");
    let mwg = prefixes.of(MWG_REGIONS, "mwg-rs");
    let dim = prefixes.of(MWG_DIMENSIONS, "stDim");
    let area = prefixes.of(MWG_AREA, "stArea");
    let (w, h) = names.size;
    let mut text = format!(
        "<{mwg}:Regions {rdf}:parseType=\"Resource\"{}>
    <{mwg}:AppliedToDimensions {dim}:w=\"{w}\" {dim}:h=\"{h}\" {dim}:unit=\"pixel\"/>
    <{mwg}:RegionList>
     <{rdf}:Bag>",
        prefixes.declarations()
    );
    for item in items {
        let face = match item {
            Item::Kept(li) => {
                text.push_str("\n      ");
                text.push_str(&old[li.range()]);
                continue;
            }
            Item::Ours(face) => &names.named[*face],
        };
        let [l, t, fw, fh] = face.area;
        let number = |v: f32| {
            let fixed = format!("{:.6}", v.clamp(0.0, 1.0));
            fixed.trim_end_matches('0').trim_end_matches('.').to_owned()
        };
        text.push_str(&format!(
            "
      <{rdf}:li>
       <{rdf}:Description {mwg}:Name=\"{}\" {mwg}:Type=\"Face\">
        <{mwg}:Area {area}:x=\"{}\" {area}:y=\"{}\" {area}:w=\"{}\" {area}:h=\"{}\" {area}:unit=\"normalized\"/>
       </{rdf}:Description>
      </{rdf}:li>",
            escape(&face.name),
            number(l + fw / 2.0),
            number(t + fh / 2.0),
            number(fw),
            number(fh),
        ));
    }
    text.push_str(&format!(
        "
     </{rdf}:Bag>
    </{mwg}:RegionList>
   </{mwg}:Regions>"
    ));
    text
}

/// The `Iptc4xmpExt:PersonInImage` element listing `people`.
fn people_shown(scope: Node, people: &[String]) -> String {
    let mut prefixes = Prefixes::new(scope);
    let rdf = prefixes.of(RDF, "rdf");
    let iptc = prefixes.of(IPTC_EXTENSION, "Iptc4xmpExt");
    let mut text = format!(
        "<{iptc}:PersonInImage{}>
    <{rdf}:Bag>",
        prefixes.declarations()
    );
    for person in people {
        text.push_str(&format!("\n     <{rdf}:li>{}</{rdf}:li>", escape(person)));
    }
    text.push_str(&format!("\n    </{rdf}:Bag>\n   </{iptc}:PersonInImage>"));
    text
}

/// Where elements new to the sidecar go: at the end of its first `rdf:Description`, or in a new
/// one where it has none.
fn insertion(old: &str, host: Option<Node>, rdf: Node, inserted: &str) -> (Range<usize>, String) {
    let Some(host) = host else {
        let mut prefixes = Prefixes::new(rdf);
        let prefix = prefixes.of(RDF, "rdf");
        let end = end_tag_start(old, rdf.range());
        let text = format!(
            "  <{prefix}:Description {prefix}:about=\"\"{}>{inserted}\n  </{prefix}:Description>\n ",
            prefixes.declarations()
        );
        return (end..end, text);
    };
    let range = host.range();
    let element = &old[range.clone()];
    if element.ends_with("/>") {
        // <rdf:Description .../> becomes <rdf:Description ...>new</rdf:Description>.
        let name = &element[1..]
            .split(|c: char| c.is_whitespace() || c == '/' || c == '>')
            .next()
            .unwrap_or_default();
        let text = format!(">{inserted}\n  </{name}>");
        return (range.end - 2..range.end, text);
    }
    let end = end_tag_start(old, range.clone());
    // After the host's last content, before the blank space that indents its end tag.
    let content_end = range.start + old[range.start..end].trim_end().len();
    (content_end..content_end, inserted.to_owned())
}

/// Where the end tag of the element at `range` begins.
fn end_tag_start(old: &str, range: Range<usize>) -> usize {
    old[range.clone()]
        .rfind("</")
        .map_or(range.end, |at| range.start + at)
}

/// The prefixes new elements use for their namespaces: those in scope where they go, else ones
/// declared on the new element itself.
struct Prefixes<'a, 'i> {
    scope: Node<'a, 'i>,
    declared: Vec<(Option<String>, String)>,
}

impl<'a, 'i> Prefixes<'a, 'i> {
    fn new(scope: Node<'a, 'i>) -> Self {
        Prefixes {
            scope,
            declared: Vec::new(),
        }
    }

    /// Declares what is in scope at `node` but not where the new element goes.
    fn carry(&mut self, node: Node) {
        for ns in node.namespaces() {
            let prefix = ns.name().map(str::to_owned);
            let here = self.scope.lookup_namespace_uri(ns.name());
            if here != Some(ns.uri()) && !self.declared.iter().any(|(p, _)| *p == prefix) {
                self.declared.push((prefix, ns.uri().to_owned()));
            }
        }
    }

    /// The prefix for namespace `uri`, declaring `preferred` (or a variant of it) where none is in
    /// scope.
    fn of(&mut self, uri: &str, preferred: &str) -> String {
        if let Some((Some(prefix), _)) = self.declared.iter().find(|(_, u)| u == uri) {
            return prefix.clone();
        }
        let bound = |declared: &[(Option<String>, String)], prefix: &str| {
            declared.iter().any(|(p, _)| p.as_deref() == Some(prefix))
        };
        if let Some(prefix) = self.scope.lookup_prefix(uri).filter(|p| !p.is_empty()) {
            if !bound(&self.declared, prefix) {
                return prefix.to_owned();
            }
        }
        let free = |prefix: &str| {
            self.scope.lookup_namespace_uri(Some(prefix)).is_none()
                && !bound(&self.declared, prefix)
        };
        let prefix = std::iter::once(preferred.to_owned())
            .chain((2..).map(|n| format!("{preferred}{n}")))
            .find(|p| free(p))
            .unwrap_or_else(|| preferred.to_owned());
        self.declared.push((Some(prefix.clone()), uri.to_owned()));
        prefix
    }

    /// The new element's namespace declarations, in a fixed order so that writing the same names
    /// again gives the same bytes.
    fn declarations(&self) -> String {
        let mut declared = self.declared.clone();
        declared.sort();
        declared
            .iter()
            .map(|(prefix, uri)| match prefix {
                Some(prefix) => format!(" xmlns:{prefix}=\"{}\"", escape(uri)),
                None => format!(" xmlns=\"{}\"", escape(uri)),
            })
            .collect()
    }
}

/// Adds `name` to `people` unless it is there already (in any case).
fn push_name(people: &mut Vec<String>, name: String) {
    if !people.iter().any(|p| same_name(p, &name)) {
        people.push(name);
    }
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// `text` as XML attribute or element text.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(name: &str, area: [f32; 4]) -> NamedArea {
        NamedArea {
            name: name.into(),
            area,
        }
    }

    fn names(named: Vec<NamedArea>, refused: Vec<NamedArea>) -> PhotoNames {
        PhotoNames {
            size: (4000, 3000),
            named,
            refused,
            unnamed: Vec::new(),
        }
    }

    /// [`super::merge`] for a photo stored upright.
    fn merge(old: &str, names: &PhotoNames) -> Result<String, PacketError> {
        super::merge(old, names, Orientation::NoTransforms)
    }

    /// The names and areas Kith's own reading finds in `packet`.
    fn read(packet: &str) -> (Vec<(String, [f32; 4])>, Vec<String>) {
        let xmp = xmp::parse(packet);
        let regions = xmp.regions.into_iter().map(|r| (r.name, r.area)).collect();
        (regions, xmp.people)
    }

    fn close(a: [f32; 4], b: [f32; 4]) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5)
    }

    #[test]
    fn a_new_sidecar_reads_back_as_written() {
        let written = names(
            vec![
                face("Anna & \"Bo\" <3>", [0.1, 0.2, 0.1, 0.15]),
                face("Ben", [0.6, 0.25, 0.12, 0.16]),
            ],
            vec![],
        );
        let packet = fresh(&written);
        let (regions, people) = read(&packet);
        assert_eq!(regions.len(), 2, "{packet}");
        for (region, face) in regions.iter().zip(&written.named) {
            assert_eq!(region.0, face.name);
            assert!(close(region.1, face.area), "{region:?} {face:?}");
        }
        assert_eq!(people, ["Anna & \"Bo\" <3>", "Ben"]);
        assert!(
            packet.contains("stDim:w=\"4000\" stDim:h=\"3000\""),
            "{packet}"
        );
        assert_eq!(merge(&packet, &written).expect("merges"), packet);
    }

    const DARKTABLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:darktable="http://darktable.sf.net/"
   xmp:Rating="3"
   darktable:xmp_version="5">
   <darktable:history>
    <rdf:Seq>
     <rdf:li darktable:operation="exposure" darktable:enabled="1" darktable:params="0000 &amp; 1"/>
    </rdf:Seq>
   </darktable:history>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"#;

    #[test]
    fn another_apps_sidecar_keeps_every_byte_but_the_names() {
        let written = names(vec![face("Anna", [0.1, 0.2, 0.1, 0.15])], vec![]);
        let merged = merge(DARKTABLE, &written).expect("merges");
        let (regions, people) = read(&merged);
        assert_eq!(regions.len(), 1, "{merged}");
        assert_eq!(people, ["Anna"]);
        // Everything before the insertion and from the Description's end tag on is as it was.
        let tail = DARKTABLE.find("\n  </rdf:Description>").expect("end tag");
        assert!(merged.starts_with(&DARKTABLE[..tail]), "{merged}");
        assert!(merged.ends_with(&DARKTABLE[tail..]), "{merged}");
        assert_eq!(merge(&merged, &written).expect("merges"), merged);
        // A rename rewrites the region and the people, and nothing else.
        let renamed = names(vec![face("Anna Lee", [0.1, 0.2, 0.1, 0.15])], vec![]);
        let again = merge(&merged, &renamed).expect("merges");
        let (regions, people) = read(&again);
        let region_names: Vec<&str> = regions.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(region_names, ["Anna Lee"]);
        assert_eq!(people, ["Anna Lee"]);
        assert!(again.starts_with(&DARKTABLE[..tail]) && again.ends_with(&DARKTABLE[tail..]));
    }

    const DIGIKAM: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:mwgrs="http://www.metadataworkinggroup.com/schemas/regions/"
    xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#"
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">
   <mwgrs:Regions rdf:parseType="Resource">
    <mwgrs:RegionList><rdf:Bag xmlns:acdsee="http://ns.acdsee.com/regions/">
     <rdf:li><rdf:Description mwgrs:Name="Anne" mwgrs:Type="Face" acdsee:Kept="1">
      <mwgrs:Area stArea:x="0.15" stArea:y="0.27" stArea:w="0.12" stArea:h="0.16" stArea:unit="normalized"/>
     </rdf:Description></rdf:li>
     <rdf:li><rdf:Description mwgrs:Name="Grandpa" mwgrs:Type="Face">
      <mwgrs:Area stArea:x="0.9" stArea:y="0.5" stArea:w="0.1" stArea:h="0.1" stArea:unit="normalized"/>
     </rdf:Description></rdf:li>
     <rdf:li><rdf:Description mwgrs:Name="Rex" mwgrs:Type="Pet">
      <mwgrs:Area stArea:x="0.15" stArea:y="0.27" stArea:w="0.3" stArea:h="0.3" stArea:unit="normalized"/>
     </rdf:Description></rdf:li>
     <rdf:li><rdf:Description mwgrs:Name="Ben" mwgrs:Type="Face">
      <mwgrs:Area stArea:x="0.5" stArea:y="0.5" stArea:w="0.1" stArea:h="0.1" stArea:unit="normalized"/>
     </rdf:Description></rdf:li>
    </rdf:Bag></mwgrs:RegionList>
   </mwgrs:Regions>
   <Iptc4xmpExt:PersonInImage><rdf:Bag>
    <rdf:li>Anne</rdf:li><rdf:li>Grandpa</rdf:li><rdf:li>Ben</rdf:li><rdf:li>Zoe</rdf:li>
   </rdf:Bag></Iptc4xmpExt:PersonInImage>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"#;

    #[test]
    fn regions_over_kiths_faces_are_kiths_and_the_others_stay() {
        let written = names(
            // Kith names the face Anne's region is over "Anna", and the user said the face under
            // Ben's region is not Ben.
            vec![face("Anna", [0.1, 0.2, 0.1, 0.14])],
            vec![face("Ben", [0.46, 0.46, 0.08, 0.08])],
        );
        let merged = merge(DIGIKAM, &written).expect("merges");
        let (regions, people) = read(&merged);
        let region_names: Vec<&str> = regions.iter().map(|r| r.0.as_str()).collect();
        // Anna where Anne was; Grandpa's face is one Kith did not find; Rex is not a face.
        assert_eq!(region_names, ["Anna", "Grandpa"], "{merged}");
        assert!(
            merged.contains("mwgrs:Name=\"Rex\" mwgrs:Type=\"Pet\""),
            "{merged}"
        );
        assert_eq!(people, ["Grandpa", "Zoe", "Anna"]);
        // The file's own prefixes are used, and the kept items' namespace stays declared.
        assert!(!merged.contains("mwg-rs:"), "{merged}");
        assert!(
            merged.contains("xmlns:acdsee=\"http://ns.acdsee.com/regions/\""),
            "{merged}"
        );
        assert!(roxmltree::Document::parse(&merged).is_ok());
        assert_eq!(merge(&merged, &written).expect("merges"), merged);
    }

    #[test]
    fn regions_drawn_on_a_turned_photos_stored_pixels_are_known_over_kiths_faces() {
        // A portrait stored on its side (EXIF 6). Another app drew Anna's region on the stored
        // pixels: at the bottom left of them, which is the top left of the photo as shown.
        let other_app = fresh(&names(
            vec![
                face("Anna B.", [0.0, 0.7, 0.15, 0.25]),
                face("Grandpa", [0.6, 0.1, 0.2, 0.1]),
            ],
            vec![],
        ));
        let mut written = names(vec![face("Anna", [0.1, 0.025, 0.2, 0.1])], vec![]);
        written.size = (1000, 2000);
        let merged = super::merge(&other_app, &written, Orientation::Rotate90).expect("merges");
        let region_names: Vec<String> = read(&merged).0.into_iter().map(|r| r.0).collect();
        assert_eq!(region_names, ["Anna", "Grandpa"], "{merged}");
        assert_eq!(read(&merged).1, ["Grandpa", "Anna"]);
        // Read as drawn on the photo as shown, the region is over no face of Kith's and stays.
        let unturned = merge(&other_app, &written).expect("merges");
        assert_eq!(read(&unturned).0.len(), 3, "{unturned}");
        // Kith's own regions are as shown: merged again, nothing changes.
        let again = super::merge(&merged, &written, Orientation::Rotate90).expect("merges");
        assert_eq!(again, merged);
    }

    #[test]
    fn when_kith_names_nobody_its_old_regions_go() {
        let first = fresh(&names(
            vec![
                face("Ben", [0.4, 0.4, 0.2, 0.2]),
                face("Cy", [0.7, 0.4, 0.2, 0.2]),
            ],
            vec![],
        ));
        // The user said the first face is not Ben, and the second face's person lost its name.
        let mut nobody = names(vec![], vec![face("Ben", [0.4, 0.4, 0.2, 0.2])]);
        nobody.unnamed.push([0.71, 0.41, 0.19, 0.2]);
        let merged = merge(&first, &nobody).expect("merges");
        assert_eq!(read(&merged), (vec![], vec![]), "{merged}");
        assert!(roxmltree::Document::parse(&merged).is_ok());
    }

    #[test]
    fn what_is_not_xmp_is_left_alone() {
        let written = names(vec![face("Anna", [0.1, 0.2, 0.1, 0.15])], vec![]);
        assert!(matches!(
            merge("<x:xmpmeta><unclosed>", &written),
            Err(PacketError::NotXml(_))
        ));
        assert!(matches!(
            merge("<notes>keep me</notes>", &written),
            Err(PacketError::NotXmp)
        ));
        // An RDF document with no description gets one.
        let bare = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"></rdf:RDF>"#;
        let merged = merge(bare, &written).expect("merges");
        assert_eq!(read(&merged).1, ["Anna"], "{merged}");
    }
}
