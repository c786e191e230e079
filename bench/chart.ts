/**
 * The fan-out figures as an SVG the site shows: three panels (server CPU per delivery,
 * post → last delivery, memory per held request), each with one group of bars per client
 * count and one bar per server. Plain SVG text, no library.
 *
 * @module
 */
import type { FanoutResult } from './fanout.ts';
import type { ServerKind } from './servers/serve.ts';

export const serverNames: Partial<Record<ServerKind, string>> = {
  ours: 'lesson 04 solution',
  lesson03: 'lesson 03 (Express, res.json each)',
  bare: 'bare node:http',
  socketio: 'Socket.IO 4.8 (polling)',
  faye: 'Faye 1.4 (long-polling)',
  lesson06: 'lesson 06 solution (Bayeux)',
};
const colours: Partial<Record<ServerKind, string>> = { ours: '#d9480f', lesson03: '#f59f00', bare: '#495057', socketio: '#1971c2', faye: '#2f9e44' };

interface Panel {
  title: string;
  value: (r: FanoutResult) => number;
  digits: number;
}

const panels: Panel[] = [
  { title: 'server CPU per delivery (µs)', value: (r) => r.warm.cycleUs, digits: 0 },
  { title: 'post → last delivery (ms)', value: (r) => r.warm.lastMs, digits: 0 },
  { title: 'server memory per held poll (KB)', value: (r) => r.rssPerHeldKb, digits: 1 },
];

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function fanoutChart(results: readonly FanoutResult[], caption: string): string {
  const kinds = [...new Set(results.map((r) => r.kind))];
  const counts = [...new Set(results.map((r) => r.count))];
  const panelWidth = 300;
  const plotHeight = 180;
  const top = 40;
  const bar = 12;
  const groupWidth = kinds.length * bar + 24;
  const parts: string[] = [];
  panels.forEach((panel, p) => {
    const left = 20 + p * (panelWidth + 20);
    const highest = Math.max(...results.map(panel.value)) || 1;
    parts.push(`<text x="${left}" y="${top - 16}" class="title">${escape(panel.title)}</text>`);
    parts.push(`<line x1="${left}" y1="${top + plotHeight}" x2="${left + panelWidth}" y2="${top + plotHeight}" class="axis"/>`);
    counts.forEach((count, c) => {
      const groupLeft = left + 10 + c * (groupWidth + 10);
      parts.push(`<text x="${groupLeft + (kinds.length * bar) / 2}" y="${top + plotHeight + 16}" class="label" text-anchor="middle">${count.toLocaleString('en')} held</text>`);
      kinds.forEach((kind, k) => {
        const result = results.find((r) => r.kind === kind && r.count === count);
        if (!result) return;
        const value = panel.value(result);
        const height = Math.max(1, (value / highest) * (plotHeight - 30)); // room for the label above
        const x = groupLeft + k * bar;
        const y = top + plotHeight - height;
        parts.push(`<rect x="${x}" y="${y.toFixed(1)}" width="${bar - 2}" height="${height.toFixed(1)}" fill="${colours[kind] ?? '#868e96'}"><title>${escape(`${serverNames[kind] ?? kind}, ${count} held: ${value.toFixed(panel.digits)}`)}</title></rect>`);
        parts.push(`<text x="${x + (bar - 2) / 2}" y="${(y - 3).toFixed(1)}" class="value" text-anchor="start" transform="rotate(-90 ${x + (bar - 2) / 2} ${(y - 3).toFixed(1)})">${value.toFixed(panel.digits)}</text>`);
      });
    });
  });
  const legendTop = top + plotHeight + 40;
  const perRow = panels.length;
  kinds.forEach((kind, k) => {
    const x = 20 + (k % perRow) * (panelWidth + 20);
    const y = legendTop + Math.floor(k / perRow) * 18;
    parts.push(`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${colours[kind] ?? '#868e96'}"/><text x="${x + 18}" y="${y}" class="label">${escape(serverNames[kind] ?? kind)}</text>`);
  });
  const captionTop = legendTop + Math.ceil(kinds.length / perRow) * 18 + 6;
  parts.push(`<text x="20" y="${captionTop}" class="caption">${escape(caption)}</text>`);
  const width = 20 + panels.length * (panelWidth + 20);
  const height = captionTop + 12;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Fan-out benchmark: lesson 04 against bare node:http, Socket.IO and Faye">
<style>text{font-family:system-ui,sans-serif;fill:#212529}.title{font-size:13px;font-weight:600}.label{font-size:11px}.value{font-size:9px;fill:#495057}.caption{font-size:10px;fill:#868e96}.axis{stroke:#adb5bd}</style>
<rect width="100%" height="100%" fill="#fff"/>
${parts.join('\n')}
</svg>
`;
}
