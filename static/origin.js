// Code comes only from this origin (issue 11): a URL from a query parameter or a boot config that
// points anywhere else is refused, before anything is requested from it.
export function sameOrigin(value, what) {
  const here = self.location;
  let url;
  try {
    url = new URL(value, here.href);
  } catch {
    throw new Error(`refused ${what}=${value}: not a URL`);
  }
  // the protocol too: a blob: or data: URL is no file of ours
  if (url.origin !== here.origin || url.protocol !== here.protocol) {
    throw new Error(`refused ${what}=${value}: code and data load only from ${here.origin}`);
  }
  return url.href;
}
