// A headless Debian chromium driven by playwright-core, for the directory page's tests and
// screenshot. Missing chromium: the test is skipped with the reason, or fails under CI=true.

import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import type { Test } from 'tap';

export const CHROMIUM = process.env.AOP_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(t: Test): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    const why = `no chromium at ${CHROMIUM} (apt-get install chromium)`;
    if (process.env.CI === 'true') t.fail(why);
    else t.skip(why, () => {});
    return undefined;
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  t.teardown(() => browser.close());
  return browser;
}
