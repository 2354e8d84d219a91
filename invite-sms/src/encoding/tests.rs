use super::*;
use proptest::prelude::*;

fn round_trip(text: &str) -> Encoded {
    let encoded = segments(text).expect("encodable");
    let short_messages: Vec<Vec<u8>> = (0..encoded.parts.len())
        .map(|i| encoded.short_message(i, 0xA7))
        .collect();
    let esm_class = if encoded.is_concatenated() {
        ESM_CLASS_UDHI
    } else {
        0
    };
    let received: Vec<(u8, u8, &[u8])> = short_messages
        .iter()
        .rev() // out of order on purpose
        .map(|m| (encoded.coding.data_coding(), esm_class, m.as_slice()))
        .collect();
    assert_eq!(reassemble(&received).as_deref(), Ok(text));
    encoded
}

#[test]
fn single_segment_limits() {
    let gsm = "a".repeat(160);
    assert_eq!(round_trip(&gsm).parts.len(), 1);
    assert_eq!(round_trip(&format!("{gsm}a")).parts.len(), 2);
    let ucs2 = "ж".repeat(70);
    assert_eq!(round_trip(&ucs2).parts.len(), 1);
    assert_eq!(round_trip(&format!("{ucs2}ж")).parts.len(), 2);
    assert_eq!(segments("").map(|e| e.parts.len()), Ok(1));
}

#[test]
fn concatenated_parts_hold_153_septets_or_67_units() {
    let e = round_trip(&"b".repeat(153 * 3));
    assert_eq!(e.parts.len(), 3);
    assert!(e.parts.iter().all(|p| p.units() == 153));
    assert_eq!(e.air_octets(0), 140);
    let e = round_trip(&"ю".repeat(67 * 2 + 1));
    assert_eq!(
        e.parts.iter().map(Segment::units).collect::<Vec<_>>(),
        [67, 67, 1]
    );
    assert_eq!(e.air_octets(0), 140);
}

#[test]
fn extension_characters_take_two_septets_and_are_never_split() {
    // 159 basic septets then `€`: 161 septets, so two parts; the escape pair must not be cut
    // at septet 153.
    let text = format!("{}€{}", "x".repeat(152), "y".repeat(7));
    let e = round_trip(&text);
    assert_eq!(e.coding, Coding::Gsm7);
    assert_eq!(e.parts[0].units(), 152, "the escape moved to the next part");
    assert!(e.parts[1].text().starts_with('€'));
    assert_eq!(segments(&"{".repeat(80)).map(|e| e.parts.len()), Ok(1));
    assert_eq!(segments(&"{".repeat(81)).map(|e| e.parts.len()), Ok(2));
}

#[test]
fn surrogate_pairs_are_never_split() {
    // 66 units then an emoji (2 units): the pair goes whole to the next part.
    let text = format!("{}😀{}", "ж".repeat(66), "ж".repeat(10));
    let e = round_trip(&text);
    assert_eq!(e.coding, Coding::Ucs2);
    assert_eq!(e.parts[0].units(), 66);
    assert!(e.parts[1].text().starts_with('😀'));
}

#[test]
fn one_character_outside_gsm_makes_the_whole_text_ucs2() {
    let e = round_trip("Hello, Иван");
    assert_eq!(e.coding, Coding::Ucs2);
    assert_eq!(e.coding.data_coding(), 0x08);
    assert_eq!(e.parts[0].user_data()[..4], [0x00, b'H', 0x00, b'e']);
    let link = "https://app.example.com/signup?token=Ab_9-x~y";
    let e = round_trip(link);
    assert_eq!(e.coding, Coding::Gsm7, "a link is GSM 7-bit, `~` by escape");
}

#[test]
fn concatenation_header_and_udhi() {
    let e = segments(&"z".repeat(200)).expect("encodable");
    let first = e.short_message(0, 42);
    assert_eq!(first[..UDH_LEN], [0x05, 0x00, 0x03, 42, 2, 1]);
    assert_eq!(
        e.short_message(1, 42)[..UDH_LEN],
        [0x05, 0x00, 0x03, 42, 2, 2]
    );
    let (header, data) = split_header(&first, true).expect("parses");
    assert_eq!(
        header,
        Some(Concatenation {
            reference: 42,
            total: 2,
            sequence: 1
        })
    );
    assert_eq!(data.len(), 153);
    assert_eq!(e.short_message(9, 42), Vec::<u8>::new());
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    assert_eq!(split_header(&[], true), Err(DecodeError::Header));
    assert_eq!(split_header(&[9, 0, 3], true), Err(DecodeError::Header));
    assert_eq!(split_header(&[3, 0, 2, 1], true), Err(DecodeError::Header));
    assert!(
        decode_user_data(Coding::Ucs2, &[0xD8, 0x00]).is_err(),
        "lone surrogate"
    );
    assert!(decode_user_data(Coding::Ucs2, &[0x00]).is_err());
    assert!(reassemble(&[]).is_err());
    assert!(reassemble(&[(0x04, 0, b"x")]).is_err());
    let part = [0x05, 0x00, 0x03, 1, 2, 1, b'a'];
    assert!(
        reassemble(&[(0, ESM_CLASS_UDHI, &part)]).is_err(),
        "part 2 missing"
    );
    assert!(reassemble(&[(0, ESM_CLASS_UDHI, &part), (0, ESM_CLASS_UDHI, &part)]).is_err());
}

#[test]
fn too_long_is_refused() {
    let e = segments(&"q".repeat(153 * 256));
    assert_eq!(e, Err(EncodeError::TooLong { parts: 256 }));
}

/// Strings mixing ASCII, GSM extension characters, Cyrillic and characters beyond the BMP.
fn texts() -> impl Strategy<Value = String> {
    let chars = prop_oneof![
        4 => proptest::char::range('a', 'z'),
        1 => proptest::sample::select(vec!['€', '{', '}', '[', ']', '~', '^', '|', '\\', '\u{0C}']),
        1 => proptest::sample::select(vec!['é', 'Ø', 'Δ', '@', '\n', '_', '§']),
        1 => proptest::char::range('а', 'я'),
        1 => proptest::sample::select(vec!['😀', '𝄞', '🇷', '\u{10FFFF}']),
        1 => any::<char>(),
    ];
    prop_oneof![
        proptest::collection::vec(chars.clone(), 0..400).prop_map(|v| v.into_iter().collect()),
        // GSM-only texts, so long GSM texts with escapes are exercised too.
        proptest::collection::vec(
            prop_oneof![
                4 => proptest::char::range('a', 'z'),
                1 => proptest::sample::select(vec!['€', '{', '~', '|']),
            ],
            0..700
        )
        .prop_map(|v| v.into_iter().collect()),
    ]
}

proptest! {
    #[test]
    fn segmentation_round_trips_and_fits(text in texts()) {
        let e = round_trip(&text);
        prop_assert_eq!(e.text(), text.clone());
        for (i, part) in e.parts.iter().enumerate() {
            prop_assert!(e.air_octets(i) <= MAX_AIR_OCTETS, "part {} is {} octets", i, e.air_octets(i));
            // Each part decodes on its own: no escape or surrogate pair was cut.
            let decoded = decode_user_data(e.coding, part.user_data());
            prop_assert_eq!(decoded.as_deref(), Ok(part.text()));
        }
        if e.is_concatenated() {
            prop_assert!(e.parts.iter().all(|p| !p.text().is_empty()));
        }
        let gsm = crate::gsm::can_encode(&text);
        prop_assert_eq!(e.coding == Coding::Gsm7, gsm);
    }

    #[test]
    fn reassembly_never_panics(
        data_coding in prop_oneof![Just(0u8), Just(8u8), any::<u8>()],
        esm_class in any::<u8>(),
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let _ = reassemble(&[(data_coding, esm_class, &bytes)]);
    }
}
