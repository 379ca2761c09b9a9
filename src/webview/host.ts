// What every webview of the extension starts with: VS Code's webview API (acquireVsCodeApi may be called once per
// page), a typed post to the extension, and elements of the page by id.

interface VsCodeApi<M> {
  postMessage(m: M): void;
}
declare function acquireVsCodeApi(): VsCodeApi<unknown>;

const api = acquireVsCodeApi();

/** Posts a message of the page's protocol (src/shared) to the extension. */
export function poster<M>(): (m: M) => void {
  return (m: M) => api.postMessage(m);
}

export const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
