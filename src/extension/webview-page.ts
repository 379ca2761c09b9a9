// The page of every webview of the extension: a strict Content Security Policy (nothing remote; the script only
// with its nonce; styles, fonts and images from the extension's own files), the view's style sheet and script. Used
// by the webviews and by their browser tests, which load the same pages.

export interface PageResources {
  /** The script (dist/webview/VIEW.js) and the style sheet (media/VIEW.css), as the webview may load them. */
  script: string;
  style: string;
  /** The webview's source for the CSP (webview.cspSource). */
  cspSource: string;
  nonce: string;
}

export function webviewPage(r: PageResources, title: string, body: string): string {
  const csp = [
    "default-src 'none'",
    `img-src ${r.cspSource} data:`,
    `style-src ${r.cspSource} 'unsafe-inline'`,
    `font-src ${r.cspSource}`,
    `script-src 'nonce-${r.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${r.style}">
<title>${title}</title>
</head>
<body>
${body}
<script nonce="${r.nonce}" src="${r.script}"></script>
</body>
</html>`;
}
