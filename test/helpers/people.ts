import { demoBin, demoIin } from '../../src/demo/seed.js';

/** Synthetic, valid IINs and BINs for tests; they belong to no one. */
export const IIN = {
  alice: demoIin(1958, 3, 14, 'female'),
  bob: demoIin(1990, 7, 2, 'male'),
  carol: demoIin(1985, 11, 23, 'female'),
  dan: demoIin(2001, 1, 30, 'male'),
};

export const BIN = {
  bank: demoBin('99014000001'),
  mfo: demoBin('99024000002'),
  otherBank: demoBin('99034000003'),
};
