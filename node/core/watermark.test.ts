import { describe, expect, it } from 'vitest';
import { WatermarkTracker } from './watermark';

describe('WatermarkTracker', () => {
  it('starts at the start of the range', () => {
    const tracker = new WatermarkTracker(10, 20);
    expect(tracker.watermark).toBe(10);
    expect(tracker.done).toBe(false);
    expect(tracker.pendingAboveWatermark).toBe(0);
  });

  it('advances in order', () => {
    const tracker = new WatermarkTracker(0, 3);
    tracker.complete(0);
    expect(tracker.watermark).toBe(1);
    tracker.complete(1);
    tracker.complete(2);
    expect(tracker.watermark).toBe(3);
    expect(tracker.done).toBe(true);
  });

  it('holds out-of-order completions above the watermark until the gap closes', () => {
    const tracker = new WatermarkTracker(100, 110);
    tracker.complete(103);
    tracker.complete(101);
    tracker.complete(102);
    expect(tracker.watermark).toBe(100);
    expect(tracker.pendingAboveWatermark).toBe(3);
    expect(tracker.isComplete(102)).toBe(true);
    expect(tracker.isComplete(100)).toBe(false);
    tracker.complete(100);
    expect(tracker.watermark).toBe(104);
    expect(tracker.pendingAboveWatermark).toBe(0);
    expect(tracker.isComplete(100)).toBe(true);
  });

  it('ignores duplicates, below and above the watermark', () => {
    const tracker = new WatermarkTracker(0, 10);
    tracker.complete(0);
    tracker.complete(0);
    tracker.complete(5);
    tracker.complete(5);
    expect(tracker.watermark).toBe(1);
    expect(tracker.pendingAboveWatermark).toBe(1);
  });

  it('is done only when every sequence is final, in any order', () => {
    const tracker = new WatermarkTracker(0, 1000);
    // A fixed permutation: 7 is coprime with 1000.
    for (let i = 0; i < 1000; i++) {
      expect(tracker.done).toBe(false);
      tracker.complete((i * 7) % 1000);
    }
    expect(tracker.done).toBe(true);
    expect(tracker.watermark).toBe(1000);
    expect(tracker.pendingAboveWatermark).toBe(0);
  });

  it('is done at once for an empty range', () => {
    const tracker = new WatermarkTracker(5, 5);
    expect(tracker.done).toBe(true);
    expect(tracker.watermark).toBe(5);
  });

  it('handles a huge range with memory bounded by the completions held', () => {
    const tracker = new WatermarkTracker(0, 1e9);
    tracker.complete(999_999_999);
    tracker.complete(500_000_000);
    tracker.complete(0);
    expect(tracker.watermark).toBe(1);
    expect(tracker.pendingAboveWatermark).toBe(2);
    expect(tracker.done).toBe(false);
  });

  it('rejects sequences outside the range as bugs', () => {
    const tracker = new WatermarkTracker(10, 20);
    expect(() => tracker.complete(9)).toThrow(/assertion failed/);
    expect(() => tracker.complete(20)).toThrow(/assertion failed/);
    expect(() => tracker.complete(10.5)).toThrow(/assertion failed/);
  });

  describe('shrinkEnd', () => {
    it('drops the split-off tail, including completions held in it', () => {
      const tracker = new WatermarkTracker(0, 100);
      tracker.complete(0);
      tracker.complete(30);
      tracker.complete(70);
      tracker.shrinkEnd(50);
      expect(tracker.end).toBe(50);
      expect(tracker.pendingAboveWatermark).toBe(1);
      expect(() => tracker.complete(50)).toThrow(/assertion failed/);
      for (let sequence = 1; sequence < 50; sequence++) tracker.complete(sequence);
      expect(tracker.done).toBe(true);
      expect(tracker.watermark).toBe(50);
    });

    it('may cut exactly at the watermark, which finishes the range', () => {
      const tracker = new WatermarkTracker(0, 100);
      tracker.complete(0);
      tracker.complete(1);
      tracker.complete(60);
      tracker.shrinkEnd(2);
      expect(tracker.done).toBe(true);
      expect(tracker.pendingAboveWatermark).toBe(0);
    });

    it('refuses to cut below the watermark or to grow the range', () => {
      const tracker = new WatermarkTracker(0, 100);
      tracker.complete(0);
      tracker.complete(1);
      expect(() => tracker.shrinkEnd(1)).toThrow(/assertion failed/);
      expect(() => tracker.shrinkEnd(101)).toThrow(/assertion failed/);
      tracker.shrinkEnd(100);
      expect(tracker.end).toBe(100);
    });
  });
});
