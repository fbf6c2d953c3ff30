package io.outpost.bridge.fleet;

/**
 * Where the copies' pods may run: on the nodes of their site ({@code siteLabel}, the bridge's
 * {@code OUTPOST_SITE_LABEL}) that are edge nodes ({@code edgeLabelKey=edgeLabelValue}, the bridge's
 * {@code OUTPOST_EDGE_LABEL}).
 */
public record Placement(String siteLabel, String edgeLabelKey, String edgeLabelValue) {}
