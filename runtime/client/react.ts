import { createContext, createElement, useContext, type ReactNode } from 'react';
import type { HybClient, TimeRange } from './index.ts';

const HybClientContext = createContext<HybClient | null>(null);

export function HybProvider(props: { client: HybClient; children?: ReactNode }) {
  return createElement(HybClientContext.Provider, { value: props.client }, props.children);
}

export function useHybClient(): HybClient {
  const client = useContext(HybClientContext);
  if (!client) throw new Error('wrap the app in <HybProvider client={createClient(...)}>');
  return client;
}

export interface HookOptions {
  readonly timeRange?: TimeRange;
  /** TanStack Query options that do not change the data's type. */
  readonly query?: { enabled?: boolean; staleTime?: number; gcTime?: number; refetchInterval?: number | false; retry?: boolean | number };
}

/** A stable key: the same name, params and range give an equal key whatever the property order. */
export function hybQueryKey(name: string, params: object, timeRange: TimeRange | undefined): readonly unknown[] {
  const sorted = Object.fromEntries(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return ['hyb', name, timeRange ?? null, sorted];
}
