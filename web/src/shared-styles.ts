// Styles every page shares: forms, tables, sections. Narrow screens (a
// 375 px phone) get one column and tables that scroll sideways.
import { css } from "lit";

export const sharedStyles = css`
  :host {
    display: block;
  }
  h1,
  h2 {
    margin: 0 0 0.75rem;
    font-weight: 600;
  }
  h1 {
    font-size: 1.4rem;
  }
  h2 {
    font-size: 1.1rem;
  }
  section {
    background: var(--surface, #fff);
    border: 1px solid var(--line, #d8dde6);
    border-radius: 8px;
    padding: 1rem;
    margin-bottom: 1rem;
  }
  label {
    display: block;
    font-weight: 500;
    margin-bottom: 0.25rem;
  }
  input {
    box-sizing: border-box;
    width: 100%;
    font: inherit;
    padding: 0.55rem 0.6rem;
    border: 1px solid var(--line, #d8dde6);
    border-radius: 6px;
  }
  textarea {
    box-sizing: border-box;
    width: 100%;
    font: inherit;
    padding: 0.5rem;
    border: 1px solid var(--line, #d8dde6);
    border-radius: 6px;
  }
  input:focus-visible,
  button:focus-visible,
  a:focus-visible {
    outline: 3px solid var(--accent, #1f5fbf);
    outline-offset: 2px;
  }
  button {
    font: inherit;
    padding: 0.55rem 1rem;
    border-radius: 6px;
    border: 1px solid var(--accent, #1f5fbf);
    background: var(--accent, #1f5fbf);
    color: #fff;
    cursor: pointer;
  }
  button.quiet {
    background: transparent;
    color: var(--accent, #1f5fbf);
  }
  a {
    color: var(--accent, #1f5fbf);
  }
  .hint {
    color: var(--muted, #5b6577);
    font-size: 0.9rem;
    margin: 0.25rem 0 0;
  }
  .problem {
    color: var(--danger, #b3261e);
    margin: 0.5rem 0;
  }
  .scroll {
    overflow-x: auto;
  }
  table {
    border-collapse: collapse;
    width: 100%;
  }
  th,
  td {
    text-align: left;
    padding: 0.5rem;
    border-bottom: 1px solid var(--line, #d8dde6);
    vertical-align: top;
  }
  th {
    color: var(--muted, #5b6577);
    font-weight: 500;
    font-size: 0.9rem;
  }
`;
