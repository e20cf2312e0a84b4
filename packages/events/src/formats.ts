import { FormatRegistry } from '@sinclair/typebox';
import { isIsoDate, isIsoDateTime } from './iso-date-time.js';

// TypeBox ships no string formats; register the two the contract uses, once per process.
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', isIsoDateTime);
if (!FormatRegistry.Has('date')) FormatRegistry.Set('date', isIsoDate);
