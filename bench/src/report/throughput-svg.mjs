// throughput.svg: rows/s against worker processes, one panel per model, written by hand so the
// benchmark needs no plotting library. The y axis is logarithmic: the small model's ceiling is
// orders of magnitude above its per-record contenders, and a linear axis would flatten them.

const PANEL_WIDTH = 460;
const PANEL_HEIGHT = 340;
const MARGIN = { top: 80, right: 24, bottom: 44, left: 64 };

/** @typedef {{ label: string, color: string, dashed: boolean, points: { workers: number, rowsPerSecond: number }[] }} Series */

/** @param {string} text */
function escapeXml(text) {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** @param {number} value */
function shortRate(value) {
  if (value >= 1e6) return `${value / 1e6}M`;
  if (value >= 1e3) return `${value / 1e3}k`;
  return String(value);
}

/**
 * @param {import("./median-figures.mjs").ModelRound} figures
 * @returns {Series[]}
 */
function seriesOf(figures) {
  /** @param {{ workers: number, rowsPerSecond: number }[]} list */
  const points = (list) => list.map(({ workers, rowsPerSecond }) => ({ workers, rowsPerSecond }));
  /** @type {Series[]} */
  const series = [
    { label: "embedded", color: "#d62728", dashed: false, points: points(figures.embedded) },
    {
      label: "sidecar, per record",
      color: "#1f77b4",
      dashed: false,
      points: points(figures.sidecar),
    },
    {
      label: "sidecar, stream",
      color: "#9467bd",
      dashed: false,
      points: points(figures.streaming),
    },
    {
      label: "sidecar, coalescing",
      color: "#2ca02c",
      dashed: false,
      points: points(figures.coalescing),
    },
    {
      label: "sidecar, coalescing, stream",
      color: "#ff7f0e",
      dashed: false,
      points: points(figures.coalescingStream),
    },
  ];
  const workers = [...new Set(series.flatMap((s) => s.points.map((p) => p.workers)))].sort(
    (a, b) => a - b,
  );
  const ceiling = figures.ceiling;
  if (ceiling !== undefined && workers.length > 0) {
    series.push({
      label: `ceiling (batch ${ceiling.bestBatchSize})`,
      color: "#555555",
      dashed: true,
      points: workers.map((w) => ({ workers: w, rowsPerSecond: ceiling.rowsPerSecond })),
    });
  }
  return series.filter((s) => s.points.length > 0);
}

/**
 * One panel at horizontal offset `x0`.
 * @param {string} title @param {Series[]} series @param {number} x0
 */
function panel(title, series, x0) {
  const workers = [...new Set(series.flatMap((s) => s.points.map((p) => p.workers)))].sort(
    (a, b) => a - b,
  );
  const rates = series.flatMap((s) => s.points.map((p) => p.rowsPerSecond)).filter((r) => r > 0);
  const parts = [
    `<text x="${x0 + PANEL_WIDTH / 2}" y="20" text-anchor="middle" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  if (workers.length === 0 || rates.length === 0) {
    parts.push(
      `<text x="${x0 + PANEL_WIDTH / 2}" y="${PANEL_HEIGHT / 2}" text-anchor="middle">no data</text>`,
    );
    return parts.join("\n");
  }
  const low = Math.floor(Math.log10(Math.min(...rates)));
  const high = Math.max(low + 1, Math.ceil(Math.log10(Math.max(...rates))));
  const left = x0 + MARGIN.left;
  const right = x0 + PANEL_WIDTH - MARGIN.right;
  const top = MARGIN.top;
  const bottom = PANEL_HEIGHT - MARGIN.bottom;
  // Workers are placed evenly, as categories (the sweep is usually 1, 2, 4, …), inset from the
  // axes so that no point sits on one.
  const inset = 24;
  const x = (/** @type {number} */ w) =>
    workers.length === 1
      ? (left + right) / 2
      : left + inset + ((right - left - 2 * inset) * workers.indexOf(w)) / (workers.length - 1);
  const y = (/** @type {number} */ r) =>
    bottom - ((bottom - top) * (Math.log10(r) - low)) / (high - low);

  for (let decade = low; decade <= high; decade++) {
    const yy = y(10 ** decade).toFixed(1);
    parts.push(
      `<line x1="${left}" x2="${right}" y1="${yy}" y2="${yy}" stroke="#dddddd"/>`,
      `<text x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${shortRate(10 ** decade)}</text>`,
    );
  }
  for (const w of workers) {
    parts.push(`<text x="${x(w).toFixed(1)}" y="${bottom + 18}" text-anchor="middle">${w}</text>`);
  }
  parts.push(
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="#333333"/>`,
    `<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#333333"/>`,
    `<text x="${(left + right) / 2}" y="${PANEL_HEIGHT - 8}" text-anchor="middle">worker processes</text>`,
    `<text transform="translate(${x0 + 14} ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">rows/s (log)</text>`,
  );
  for (const s of series) {
    const points = s.points
      .filter((p) => p.rowsPerSecond > 0)
      .map((p) => `${x(p.workers).toFixed(1)},${y(p.rowsPerSecond).toFixed(1)}`);
    parts.push(
      `<polyline points="${points.join(" ")}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
    );
    if (!s.dashed) {
      for (const point of points) {
        const [cx, cy] = point.split(",");
        parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${s.color}"/>`);
      }
    }
  }
  series.forEach((s, i) => {
    const lx = left + (i % 2) * 190;
    const ly = 34 + Math.floor(i / 2) * 14;
    parts.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
      `<text x="${lx + 24}" y="${ly}" dominant-baseline="middle">${escapeXml(s.label)}</text>`,
    );
  });
  return parts.join("\n");
}

/**
 * @param {Partial<Record<import("../bench-options.mjs").ModelName, import("./median-figures.mjs").ModelRound>>} medians
 * @param {Record<string, { description: string }>} models
 * @returns {string}
 */
export function throughputSvg(medians, models) {
  const panels = Object.entries(medians).filter(([, figures]) => figures !== undefined);
  const width = PANEL_WIDTH * Math.max(1, panels.length);
  const body = panels.map(([name, figures], i) =>
    panel(
      `${name}: ${models[name]?.description ?? ""}`,
      seriesOf(/** @type {import("./median-figures.mjs").ModelRound} */ (figures)),
      i * PANEL_WIDTH,
    ),
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${PANEL_HEIGHT}" viewBox="0 0 ${width} ${PANEL_HEIGHT}" font-family="sans-serif" font-size="11">`,
    // The chart's alternative text, for screen readers and for Biome's a11y lint.
    "<title>Rows per second against worker processes, per model and contender</title>",
    `<rect width="${width}" height="${PANEL_HEIGHT}" fill="white"/>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}
