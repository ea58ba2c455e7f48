import { describe, expect, it } from 'vitest';
import { fill, parseText } from './placeholders.js';

describe('placeholders', () => {
  it('cuts a text into literals and placeholders, treating {{x}}, {{{x}}} and {{&x}} alike', () => {
    const parsed = parseText(
      'Hi {{ User.UserAttributes.FirstName }}, {{{Attributes.City}}} & {{&Address}}{{! note }}!',
    );
    expect(parsed).toEqual({
      ok: true,
      parts: [
        { literal: 'Hi ' },
        { name: 'User.UserAttributes.FirstName' },
        { literal: ', ' },
        { name: 'Attributes.City' },
        { literal: ' & ' },
        { name: 'Address' },
        { literal: '!' },
      ],
      names: ['User.UserAttributes.FirstName', 'Attributes.City', 'Address'],
    });
  });

  it('refuses sections, partials and unclosed tags', () => {
    expect(parseText('{{#User}}x{{/User}}')).toMatchObject({ ok: false });
    expect(parseText('{{> partial}}')).toMatchObject({ ok: false });
    expect(parseText('Hi {{Address')).toMatchObject({ ok: false });
  });

  it('fills every placeholder, or names each missing one and gives no text (no HTML escaping)', () => {
    const parsed = parseText('Hi {{a}} & {{b}}, {{a}}');
    if (!parsed.ok) throw new Error('parse');
    expect(fill(parsed.parts, (n) => ({ a: '<Ann>', b: 'Bo' })[n])).toEqual({
      ok: true,
      text: 'Hi <Ann> & Bo, <Ann>',
    });
    expect(fill(parsed.parts, (n) => (n === 'b' ? 'Bo' : undefined))).toEqual({ ok: false, missing: ['a'] });
  });
});
