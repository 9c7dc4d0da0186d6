import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';

describe('console configuration', () => {
  it('defaults to a 15-minute idle and an 8-hour absolute timeout', () => {
    expect(loadConfig({}).console).toEqual({ idleSeconds: 900, sessionSeconds: 28_800 });
  });

  it('reads both timeouts in seconds', () => {
    const config = loadConfig({
      GATEHOUSE_CONSOLE_IDLE_SECONDS: '60',
      GATEHOUSE_CONSOLE_SESSION_SECONDS: '3600',
    });
    expect(config.console).toEqual({ idleSeconds: 60, sessionSeconds: 3600 });
  });

  it.each([
    ['GATEHOUSE_CONSOLE_IDLE_SECONDS', 'soon'],
    ['GATEHOUSE_CONSOLE_IDLE_SECONDS', '0'],
    ['GATEHOUSE_CONSOLE_SESSION_SECONDS', '9999999'],
  ])('refuses %s=%s, naming the variable', (variable, value) => {
    let thrown: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe(variable);
  });
});
