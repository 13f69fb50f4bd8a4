// Original file: proto/relaycast/gateway/v1/simulator.proto


export interface SimulatorSettings {
  'latencyMs'?: (number);
  /**
   * Share of items answered RETRY, 0..1.
   */
  'retryRate'?: (number | string);
  /**
   * While true every call fails with UNAVAILABLE (until set false), unless
   * outage_for_ms is also given.
   */
  'outage'?: (boolean);
  /**
   * An outage that ends by itself after this many ms (0: ends a timed outage).
   */
  'outageForMs'?: (number);
  /**
   * Recipients whose id ends with one of these suffixes are unreachable.
   */
  'unreachableSuffixes'?: (string)[];
  /**
   * Recipients whose id ends with one of these suffixes fail permanently.
   */
  'permanentFailureSuffixes'?: (string)[];
  /**
   * With replace_lists, the two lists above replace the current ones (an
   * empty list clears); without, empty lists leave them unchanged.
   */
  'replaceLists'?: (boolean);
  '_latencyMs'?: "latencyMs";
  '_retryRate'?: "retryRate";
  '_outage'?: "outage";
  '_outageForMs'?: "outageForMs";
}

export interface SimulatorSettings__Output {
  'latencyMs'?: (number);
  /**
   * Share of items answered RETRY, 0..1.
   */
  'retryRate'?: (number);
  /**
   * While true every call fails with UNAVAILABLE (until set false), unless
   * outage_for_ms is also given.
   */
  'outage'?: (boolean);
  /**
   * An outage that ends by itself after this many ms (0: ends a timed outage).
   */
  'outageForMs'?: (number);
  /**
   * Recipients whose id ends with one of these suffixes are unreachable.
   */
  'unreachableSuffixes': (string)[];
  /**
   * Recipients whose id ends with one of these suffixes fail permanently.
   */
  'permanentFailureSuffixes': (string)[];
  /**
   * With replace_lists, the two lists above replace the current ones (an
   * empty list clears); without, empty lists leave them unchanged.
   */
  'replaceLists': (boolean);
  '_latencyMs'?: "latencyMs";
  '_retryRate'?: "retryRate";
  '_outage'?: "outage";
  '_outageForMs'?: "outageForMs";
}
