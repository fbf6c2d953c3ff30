/** The one-thread reconcile loop the network components run on, and its back-off. */
package io.outpost.network.loop;
