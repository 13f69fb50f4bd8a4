import { describe, expect, it } from 'vitest';
import { compileTemplate, RENDERED_TEXT_LENGTH_MAX, TEMPLATE_BYTES_MAX, type CompiledTemplate, type TemplateVars } from './template';

function compiled(text: string): CompiledTemplate {
  const result = compileTemplate(text);
  if (!result.ok) throw new Error(`expected a template, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

function rendered(text: string, vars: Record<string, string> = {}, recipientId = 'r-1'): string {
  const result = compiled(text).render(recipientId, new Map(Object.entries(vars)));
  if (!result.ok) throw new Error(`expected text, got: ${result.reason}`);
  return result.text;
}

function rejected(text: string): string {
  const result = compileTemplate(text);
  if (result.ok) throw new Error('expected the template to be rejected');
  expect(result.error.code).toBe('INVALID_ARGUMENT');
  return result.error.message;
}

describe('compileTemplate and render', () => {
  it('renders a template with no placeholders as is', () => {
    expect(rendered('Sale ends tonight.')).toBe('Sale ends tonight.');
    expect(rendered('')).toBe('');
    expect(compiled('plain').variables).toEqual([]);
  });

  it('inserts variables, with or without whitespace inside the braces', () => {
    expect(rendered('Hi {{name}}, {{ name }}!', { name: 'Ada' })).toBe('Hi Ada, Ada!');
    expect(rendered('{{\tcity\n}}', { city: 'Oslo' })).toBe('Oslo');
  });

  it('renders adjacent placeholders and placeholders at both ends', () => {
    expect(rendered('{{a}}{{b}}{{c}}', { a: '1', b: '2', c: '3' })).toBe('123');
    expect(rendered('{{a}} and {{b}}', { a: 'x', b: 'y' })).toBe('x and y');
  });

  it('accepts names made of letters, digits, _, . and -', () => {
    expect(rendered('{{user.first-name_2}}', { 'user.first-name_2': 'ok' })).toBe('ok');
  });

  it('uses the fallback only when the variable is missing', () => {
    const template = '{{name|there}}! {{ name | friend }}';
    expect(rendered(template)).toBe('there! friend');
    expect(rendered(template, { name: 'Ada' })).toBe('Ada! Ada');
    expect(rendered('[{{name|}}]')).toBe('[]');
    expect(rendered('[{{name|}}]', { name: '' })).toBe('[]');
    expect(rendered('{{x|a|b}}')).toBe('a|b');
  });

  it('treats a present but empty value as present', () => {
    expect(rendered('[{{name}}]', { name: '' })).toBe('[]');
  });

  it('renders the built-in recipient id', () => {
    expect(rendered('to {{recipient.id}}', {}, 'user-42')).toBe('to user-42');
    expect(rendered('{{ recipient.id }}', { 'recipient.id': 'spoofed' }, 'user-42')).toBe('user-42');
    expect(compiled('{{recipient.id}} {{x}}').variables).toEqual(['x']);
  });

  it('fails rendering for a recipient missing a variable without fallback', () => {
    const template = compiled('Hi {{name}}, your code is {{code}}');
    expect(template.render('r', new Map([['name', 'Ada']]))).toEqual({ ok: false, reason: 'missing template variable "code"' });
    expect(template.render('r', new Map())).toEqual({ ok: false, reason: 'missing template variable "name"' });
  });

  it('accepts variables as key/value pairs, later pairs winning', () => {
    const template = compiled('{{a}}-{{b}}-{{a}}');
    const pairs: TemplateVars = [
      { key: 'a', value: '1' },
      { key: 'zzz', value: 'unused' },
      { key: 'b', value: '2' },
      { key: 'a', value: '3' },
    ];
    expect(template.render('r', pairs)).toEqual({ ok: true, text: '3-2-3' });
    expect(template.render('r', [{ key: 'a', value: '1' }])).toEqual({ ok: false, reason: 'missing template variable "b"' });
  });

  it('lists the distinct variables in order of first use, and those without fallback', () => {
    const template = compiled('{{b|x}} {{a}} {{b}} {{c|}} {{a}} {{recipient.id}}');
    expect(template.variables).toEqual(['b', 'a', 'c']);
    expect(template.requiredVariables).toEqual(['b', 'a']);
  });

  it('escapes {{ with a backslash; a backslash is literal anywhere else', () => {
    expect(rendered('\\{{name}}', { name: 'Ada' })).toBe('{{name}}');
    expect(rendered('\\\\{{name}}', { name: 'Ada' })).toBe('\\Ada');
    expect(rendered('\\\\\\{{name}}', { name: 'Ada' })).toBe('\\{{name}}');
    expect(rendered('C:\\path\\n {{name}} \\', { name: 'Ada' })).toBe('C:\\path\\n Ada \\');
    expect(rendered('a \\\\ b')).toBe('a \\\\ b');
    // An escaped opener needs no closer.
    expect(rendered('literal \\{{ only')).toBe('literal {{ only');
  });

  it('leaves stray braces and markup alone', () => {
    expect(rendered('{"n": "{{n}}"} }} { }', { n: '<b>&</b>' })).toBe('{"n": "<b>&</b>"} }} { }');
    expect(rendered('{{n}}}', { n: 'x' })).toBe('x}');
  });

  it('renders unicode text and values unchanged', () => {
    expect(rendered('Grüße, {{name}} 👋 — {{city|Zürich}}', { name: '世界' })).toBe('Grüße, 世界 👋 — Zürich');
  });

  it('rejects an unclosed {{ and names its position in characters', () => {
    expect(rejected('Hi {{name')).toBe('unclosed "{{" at position 3 of the template');
    expect(rejected('👋 {{name}} {{')).toMatch(/unclosed "\{\{" at position 11/);
  });

  it('rejects an empty name', () => {
    expect(rejected('a {{}}')).toBe('empty template variable name at position 2');
    expect(rejected('a {{  }}')).toMatch(/empty template variable name/);
    expect(rejected('a {{|fallback}}')).toMatch(/empty template variable name/);
  });

  it('rejects an illegal name', () => {
    expect(rejected('x {{first name}}')).toMatch(/^illegal template variable name "first name" at position 2/);
    expect(rejected('{{na$me}}')).toMatch(/illegal template variable name "na\$me"/);
    expect(rejected('{{{name}}}')).toMatch(/illegal template variable name "\{name"/);
    expect(rejected(`{{${'x'.repeat(100)} y}}`)).toMatch(/"x{40}…"/);
  });

  it('refuses to render past RENDERED_TEXT_LENGTH_MAX, or past a given bound', () => {
    const t = compiled('{{v}}'.repeat(70));
    const vars = [{ key: 'v', value: 'x'.repeat(4096) }];
    expect(t.render('r', vars)).toEqual({ ok: false, reason: `the rendered message is over ${RENDERED_TEXT_LENGTH_MAX} characters` });
    expect(t.render('r', vars, 70 * 4096)).toEqual({ ok: true, text: 'x'.repeat(70 * 4096) });
    expect(t.render('r', vars, 10)).toEqual({ ok: false, reason: 'the rendered message is over 10 characters' });
  });

  it('accepts a template of exactly TEMPLATE_BYTES_MAX UTF-8 bytes and rejects one byte more', () => {
    expect(compileTemplate('a'.repeat(TEMPLATE_BYTES_MAX)).ok).toBe(true);
    expect(rejected('a'.repeat(TEMPLATE_BYTES_MAX + 1))).toMatch(/over the limit of 65536/);
    // Counted in UTF-8 bytes, not characters: "é" is two bytes, "👋" four.
    expect(compileTemplate('é'.repeat(TEMPLATE_BYTES_MAX / 2)).ok).toBe(true);
    expect(rejected(`${'é'.repeat(TEMPLATE_BYTES_MAX / 2 - 1)}ab{{x}}`)).toBe(
      `template is ${TEMPLATE_BYTES_MAX + 5} bytes in UTF-8, over the limit of ${TEMPLATE_BYTES_MAX}`,
    );
    expect(compileTemplate('👋'.repeat(TEMPLATE_BYTES_MAX / 4)).ok).toBe(true);
    expect(compileTemplate(`${'👋'.repeat(TEMPLATE_BYTES_MAX / 4)}a`).ok).toBe(false);
  });

  it('renders many recipients from one compiled template', () => {
    const template = compiled('Hello {{name|friend}}, id {{recipient.id}}.');
    for (let i = 0; i < 1000; i++) {
      const vars = i % 2 === 0 ? new Map([['name', `n${i}`]]) : new Map<string, string>();
      expect(template.render(`r${i}`, vars)).toEqual({ ok: true, text: `Hello ${i % 2 === 0 ? `n${i}` : 'friend'}, id r${i}.` });
    }
  });
});
