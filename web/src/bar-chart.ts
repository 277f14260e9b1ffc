// <karton-bar-chart>: a bar chart of a ChartSpec. Chart.js arrives with the
// first chart drawn (a dynamic import of charts.ts), not with the app. The
// canvas is an image to assistive technology, labelled with `summary`;
// the page shows the same numbers as a table beside it.
import { LitElement, css, html } from "lit";

import type { Chart, ChartSpec } from "./charts.js";

export class KartonBarChart extends LitElement {
  static properties = {
    spec: { attribute: false },
    summary: {},
  };

  declare spec: ChartSpec | null;
  declare summary: string;
  private chart: Chart<"bar"> | undefined;

  constructor() {
    super();
    this.spec = null;
    this.summary = "";
  }

  override async updated(): Promise<void> {
    const canvas = this.renderRoot.querySelector("canvas");
    const spec = this.spec;
    if (!canvas || !spec) return;
    const { drawChart } = await import("./charts.js");
    // The element may have gone, or had another spec, while Chart.js loaded.
    if (!this.isConnected || spec !== this.spec) return;
    this.chart = drawChart(canvas, spec, this.chart);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Back in the page after a move: draw again on the new canvas.
    if (this.hasUpdated) this.requestUpdate();
  }

  override disconnectedCallback(): void {
    this.chart?.destroy();
    this.chart = undefined;
    super.disconnectedCallback();
  }

  override render() {
    return html`<div class="frame"><canvas role="img" aria-label=${this.summary}>${this.summary}</canvas></div>`;
  }

  static styles = css`
    :host {
      display: block;
    }
    .frame {
      position: relative;
      height: 16rem;
    }
  `;
}

customElements.define("karton-bar-chart", KartonBarChart);
