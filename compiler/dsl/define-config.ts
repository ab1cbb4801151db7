import { configSchema, type HybConfig, type HybConfigInput } from '../../schemas/config.ts';
import { configBrand } from './define-metric.ts';

export interface Config {
  readonly [configBrand]: true;
  readonly config: HybConfig;
}

/**
 * Declares `hyb.config.ts`; every field has an embedded default.
 *
 * @example
 * export default defineConfig({ lake: { kind: 'local', path: '.hyb/lake' } });
 */
export function defineConfig<const T extends HybConfigInput>(input: T): Config {
  return { [configBrand]: true, config: configSchema.parse(input) };
}

export function isConfig(value: unknown): value is Config {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[configBrand] === true;
}
