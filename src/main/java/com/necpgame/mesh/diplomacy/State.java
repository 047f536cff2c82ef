package com.necpgame.mesh.diplomacy;

/** The diplomatic state of a pair of factions; every pair starts at PEACE. */
public enum State { PEACE, ALLIANCE, COLD_WAR, WAR }
