/**
 * DOT → SVG with Graphviz compiled to WebAssembly (`@viz-js/viz`): offline, in this process, no
 * `dot` binary. The page receives the SVG as an element tree, not as markup: its
 * Content-Security-Policy has Trusted Types with no policy, so it cannot parse markup at all
 * (innerHTML, DOMParser) and builds the tree with `createElementNS` instead. Turning the markup into
 * a tree here also checks it: only the elements and attributes Graphviz draws with pass, anything
 * else (a script, an event handler, a link) is refused, so the page can trust what it builds.
 */
import { instance, type Viz } from '@viz-js/viz';

export interface SvgElement {
  tag: string;
  attributes: Record<string, string>;
  /** Elements and text, in document order. */
  children: Array<SvgElement | string>;
}

/** What Graphviz's SVG output draws with. */
const ELEMENTS = new Set(['svg', 'g', 'title', 'polygon', 'polyline', 'ellipse', 'path', 'text']);
/** Namespace declarations and `xml:space` are the document's business, not the tree's. */
const DROPPED_ATTRIBUTES = new Set(['xmlns', 'xmlns:xlink', 'xml:space']);
/** Elements whose text is content; elsewhere text is the layout's whitespace. */
const TEXT_ELEMENTS = new Set(['text', 'title']);

let viz: Promise<Viz> | undefined;

/** Renders DOT as SVG markup; throws with Graphviz's messages when the DOT is invalid. */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= instance();
  return (await viz).renderString(dot, { format: 'svg' });
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (entity, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    const known = ENTITIES[name];
    if (known === undefined) throw new Error(`svg: unknown entity ${entity}`);
    return known;
  });
}

function checkedAttributes(tag: string, source: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [, name = '', value = ''] of source.matchAll(/([\w:-]+)="([^"]*)"/g)) {
    if (DROPPED_ATTRIBUTES.has(name)) continue;
    if (/^on/i.test(name) || /href/i.test(name) || name === 'style') throw new Error(`svg: attribute ${name} of <${tag}> refused`);
    attributes[name] = decodeText(value);
  }
  return attributes;
}

// A comment, the XML declaration, the DOCTYPE, an end tag, a start tag (maybe empty), or text.
const TOKENS = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<\/([\w:-]+)\s*>|<([\w:-]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|([^<]+)/g;

/** The SVG markup Graphviz wrote, as a tree of allowed elements; throws on anything else. */
export function svgTree(markup: string): SvgElement {
  const root: SvgElement = { tag: '#document', attributes: {}, children: [] };
  const open: SvgElement[] = [root];
  let consumed = 0;
  for (const match of markup.matchAll(TOKENS)) {
    if (match.index !== consumed) throw new Error(`svg: unexpected markup at ${consumed}`);
    consumed += match[0].length;
    const [, endTag, startTag, attributeSource = '', selfClosing, text] = match;
    const parent = open[open.length - 1] as SvgElement;
    if (startTag !== undefined) {
      if (!ELEMENTS.has(startTag)) throw new Error(`svg: element <${startTag}> refused`);
      const element: SvgElement = { tag: startTag, attributes: checkedAttributes(startTag, attributeSource), children: [] };
      parent.children.push(element);
      if (selfClosing !== '/') open.push(element);
    } else if (endTag !== undefined) {
      if (parent.tag !== endTag) throw new Error(`svg: </${endTag}> closes <${parent.tag}>`);
      open.pop();
    } else if (text !== undefined && (TEXT_ELEMENTS.has(parent.tag) || text.trim() !== '')) {
      if (!TEXT_ELEMENTS.has(parent.tag)) throw new Error(`svg: text in <${parent.tag}>`);
      parent.children.push(decodeText(text));
    }
  }
  const [svg] = root.children;
  if (consumed !== markup.length || open.length !== 1 || root.children.length !== 1 || typeof svg !== 'object' || svg.tag !== 'svg') {
    throw new Error('svg: not one complete <svg> element');
  }
  return svg;
}
