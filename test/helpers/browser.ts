import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (scripts/lib/chromium.sh installs it); playwright's own download cannot run here. */
const executablePath = process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps trying hosts this
// machine cannot reach; --no-sandbox because the tests run as root.
const args = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath, args, headless: true });
}

/** Runs `use` on a fresh page of a fresh headless Chromium, closing both afterwards. */
export async function withPage<T>(use: (page: Page) => Promise<T>): Promise<T> {
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    return await use(page);
  } finally {
    await browser.close();
  }
}

/**
 * Share (0..1) of a screenshot's pixels that differ from its top-left pixel.
 * A blank or failed page renders as one colour and scores ~0; the PNG is
 * decoded by drawing it on a canvas in a scratch page of the same browser.
 */
export async function inkShare(page: Page, screenshot: Buffer): Promise<number> {
  const scratch = await page.context().newPage();
  try {
    const dataUrl = `data:image/png;base64,${screenshot.toString('base64')}`;
    // A string, not a function: the code runs in the page, and this project's
    // TypeScript has no DOM types.
    const share: unknown = await scratch.evaluate(`(async () => {
      const img = new Image();
      img.src = ${JSON.stringify(dataUrl)};
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const { data } = ctx.getImageData(0, 0, img.width, img.height);
      let differing = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2]) differing += 1;
      }
      return differing / (data.length / 4);
    })()`);
    if (typeof share !== 'number') throw new Error('screenshot could not be decoded');
    return share;
  } finally {
    await scratch.close();
  }
}
