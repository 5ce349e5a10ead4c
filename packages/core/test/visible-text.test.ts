import { describe, expect, test } from 'vitest';
import { characterMarker, isHiddenCharacter, showHidden, visibleLength } from '../src/index.js';

/** Unicode's Default_Ignorable_Code_Point list (DerivedCoreProperties.txt), written out by hand. */
const DEFAULT_IGNORABLE: readonly (readonly [number, number])[] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff0, 0xfff8],
  [0x1bca0, 0x1bca3],
  [0x1d173, 0x1d17a],
  [0xe0000, 0xe0fff],
];
/** Bidi_Control, and the rest every channel also marks: controls, separators, annotations. */
const ALSO_HIDDEN: readonly (readonly [number, number])[] = [
  [0x0000, 0x001f],
  [0x007f, 0x009f],
  [0x061c, 0x061c],
  [0x200e, 0x200f],
  [0x202a, 0x202e],
  [0x2066, 0x2069],
  [0x2028, 0x2029],
  [0xd800, 0xdfff],
  [0xfff9, 0xfffb],
];

const inRanges = (code: number, ranges: readonly (readonly [number, number])[]) =>
  ranges.some(([from, to]) => code >= from && code <= to);

describe('hidden characters: one definition for every channel', () => {
  test('the property escapes cover exactly the written-out list, over every code point', () => {
    const differ: string[] = [];
    for (let code = 0; code <= 0x10ffff; code++) {
      const expected = inRanges(code, DEFAULT_IGNORABLE) || inRanges(code, ALSO_HIDDEN);
      if (isHiddenCharacter(String.fromCodePoint(code)) !== expected) differ.push(code.toString(16));
    }
    expect(differ).toEqual([]);
  });

  test('both ends of each range, tag characters and the characters the inbox used to show raw', () => {
    for (const char of [
      '\u00AD',
      '\u034F',
      '\u180E',
      '\u2066',
      '\u2069',
      '\uFEFF',
      '\u{E0000}',
      '\u{E0041}',
      '\u{E007F}',
      '\u{E0FFF}',
      '\u{1D173}',
      '\u{1D17A}',
      '\u{1BCA0}',
    ]) {
      expect(isHiddenCharacter(char), char.codePointAt(0)!.toString(16)).toBe(true);
    }
    for (const char of [
      'a',
      ' ',
      '\u00AC',
      '\u00AE',
      '\u{E1000}',
      '\u{1D172}',
      '\u{1D17B}',
      '😀',
      'ü',
      '…',
    ]) {
      expect(isHiddenCharacter(char), char.codePointAt(0)!.toString(16)).toBe(false);
    }
  });

  test('markers name the code point, and nothing hidden is left in the text', () => {
    expect(characterMarker('\u202E')).toBe('⟨U+202E⟩');
    expect(characterMarker('\u0000')).toBe('⟨U+0000⟩');
    expect(characterMarker('\u{E0041}')).toBe('⟨U+E0041⟩');
    const smuggled = `ok${Array.from('IGNORE', (c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('')}`;
    expect(showHidden(smuggled)).toBe('ok⟨U+E0049⟩⟨U+E0047⟩⟨U+E004E⟩⟨U+E004F⟩⟨U+E0052⟩⟨U+E0045⟩');
    expect(showHidden('soft\u00ADhyphen\u2066x\u2069\uFEFF')).toBe(
      'soft⟨U+00AD⟩hyphen⟨U+2066⟩x⟨U+2069⟩⟨U+FEFF⟩',
    );
    expect(showHidden('a\nb')).toBe('a⟨U+000A⟩b');
    expect(showHidden('a\nb', { lineBreaks: true })).toBe('a\nb');
    expect(showHidden('a\u200Bb', { mark: (m) => `[${m}]` })).toBe('a[⟨U+200B⟩]b');
    expect(showHidden('plain text 😀')).toBe('plain text 😀');
  });

  test('visibleLength is the marked length of one character', () => {
    for (const char of ['a', '😀', '\u202E', '\u{E0041}', '\n', '\u0000']) {
      expect(visibleLength(char)).toBe(showHidden(char).length);
    }
    expect(visibleLength('\n', true)).toBe(1);
  });
});
