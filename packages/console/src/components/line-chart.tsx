/** A small hand-drawn SVG line chart with an accessible table of the same numbers. */

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];

/** One line. */
export interface Series {
  label: string;
  values: number[];
}

/** Draws `series` over `labels` (x axis). */
export function LineChart(props: { title: string; labels: string[]; series: Series[] }) {
  const width = 640;
  const height = 220;
  const pad = { l: 40, r: 10, t: 10, b: 24 };
  const max = Math.max(1, ...props.series.flatMap((s) => s.values));
  const n = Math.max(1, props.labels.length - 1);
  const x = (i: number) => pad.l + (i / n) * (width - pad.l - pad.r);
  const y = (v: number) => height - pad.b - (v / max) * (height - pad.t - pad.b);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={props.title}>
        <line x1={pad.l} y1={height - pad.b} x2={width - pad.r} y2={height - pad.b} class="axis" />
        <line x1={pad.l} y1={pad.t} x2={pad.l} y2={height - pad.b} class="axis" />
        <text x={pad.l - 6} y={pad.t + 8} text-anchor="end" class="tick">
          {max}
        </text>
        <text x={pad.l - 6} y={height - pad.b} text-anchor="end" class="tick">
          0
        </text>
        {props.labels.length > 0 && (
          <>
            <text x={pad.l} y={height - 6} class="tick">
              {props.labels[0]}
            </text>
            <text x={width - pad.r} y={height - 6} text-anchor="end" class="tick">
              {props.labels[props.labels.length - 1]}
            </text>
          </>
        )}
        {props.series.map((s, i) => (
          <polyline
            key={s.label}
            fill="none"
            stroke={COLORS[i % COLORS.length]}
            stroke-width="2"
            points={s.values.map((v, j) => `${x(j)},${y(v)}`).join(' ')}
          />
        ))}
      </svg>
      <figcaption>
        <ul class="legend">
          {props.series.map((s, i) => (
            <li key={s.label}>
              <span class={`swatch swatch-${i % COLORS.length}`} aria-hidden="true" /> {s.label}:{' '}
              {s.values.reduce((a, b) => a + b, 0)}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
