// Bar charts for the dashboard, drawn by Chart.js (docs/web.md says why
// Chart.js). Only the dashboard imports this module, and only when it is
// shown (a dynamic import), so Chart.js stays out of the first page's
// JavaScript: Vite puts it in a chunk of its own.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  Tooltip,
  type ChartConfiguration,
} from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

// What a chart shows: one bar per label and dataset; `unit` says how the
// values read (money in `currency`'s major units, a count, a fraction).
export interface ChartSpec {
  labels: string[];
  datasets: Array<{ label: string; data: number[] }>;
  stacked: boolean;
  unit: "money" | "count" | "fraction";
  currency: string;
}

// Colours that tell the series apart for colour-blind readers too
// (Okabe–Ito), in the order the datasets come.
const palette = ["#0072B2", "#E69F00", "#D55E00", "#009E73", "#CC79A7", "#56B4E9"];

function formatterOf(spec: ChartSpec): (value: number) => string {
  if (spec.unit === "money" && /^[A-Z]{3}$/.test(spec.currency)) {
    const format = new Intl.NumberFormat("hu-HU", {
      style: "currency",
      currency: spec.currency,
      notation: "compact",
      maximumFractionDigits: 1,
    });
    return (value) => format.format(value);
  }
  if (spec.unit === "fraction") {
    const format = new Intl.NumberFormat("hu-HU", { style: "percent", maximumFractionDigits: 0 });
    return (value) => format.format(value);
  }
  const format = new Intl.NumberFormat("hu-HU", { maximumFractionDigits: 0 });
  return (value) => format.format(value);
}

function configurationOf(spec: ChartSpec): ChartConfiguration<"bar"> {
  const format = formatterOf(spec);
  return {
    type: "bar",
    data: {
      labels: spec.labels,
      datasets: spec.datasets.map((dataset, index) => ({
        label: dataset.label,
        data: dataset.data,
        backgroundColor: palette[index % palette.length],
        borderRadius: 3,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      locale: "hu-HU",
      scales: {
        x: { stacked: spec.stacked },
        y: {
          stacked: spec.stacked,
          beginAtZero: true,
          // Counts step by whole numbers: no "0, 0, 1, 1" on a small scale.
          ticks: { callback: (value) => format(Number(value)), precision: spec.unit === "count" ? 0 : undefined },
        },
      },
      plugins: {
        legend: { position: "bottom" },
        tooltip: {
          callbacks: { label: (item) => `${item.dataset.label}: ${format(Number(item.parsed.y))}` },
        },
      },
    },
  };
}

// Draws `spec` on `canvas`, or redraws the chart already there. The
// caller destroys the answer when the canvas goes away.
export function drawChart(canvas: HTMLCanvasElement, spec: ChartSpec, existing?: Chart<"bar">): Chart<"bar"> {
  if (existing) {
    const configuration = configurationOf(spec);
    existing.data = configuration.data;
    existing.options = configuration.options ?? {};
    existing.update();
    return existing;
  }
  return new Chart(canvas, configurationOf(spec));
}

export type { Chart };
