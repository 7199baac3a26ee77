/* bfs: breadth-first search from vertex 0 over a random undirected graph of n vertices
 * and 3n edges stored in compressed sparse row (CSR) form. Irregular, data-dependent
 * loads (dist[] of each neighbour) and a frontier queue.
 *
 * Self-check: the set of reached vertices must be exactly the connected component of
 * vertex 0 as found independently by union-find over the edge list; across every edge the
 * distances of reached endpoints differ by at most one; every reached vertex other than 0
 * has a neighbour exactly one closer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cyclesim.h"

static long find(long *parent, long v)
{
    while (parent[v] != v) { parent[v] = parent[parent[v]]; v = parent[v]; }
    return v;
}

int main(int argc, char **argv)
{
    long n = cs_size_arg(argc, argv, 30000, "number of vertices");
    long m = 3 * n;
    long *eu = malloc(sizeof(long) * m), *ev = malloc(sizeof(long) * m);
    long *start = calloc((size_t)n + 1, sizeof(long)), *adj = malloc(sizeof(long) * 2 * m);
    long *dist = malloc(sizeof(long) * n), *queue = malloc(sizeof(long) * n);
    long *parent = malloc(sizeof(long) * n), *fill = malloc(sizeof(long) * n);
    if (!eu || !ev || !start || !adj || !dist || !queue || !parent || !fill) {
        fprintf(stderr, "bfs: out of memory for n=%ld\n", n);
        return 2;
    }
    uint64_t seed = 0x626673ULL;
    for (long e = 0; e < m; e++) {
        eu[e] = (long)(cs_splitmix64(&seed) % (uint64_t)n);
        ev[e] = (long)(cs_splitmix64(&seed) % (uint64_t)n);
        start[eu[e] + 1]++;
        start[ev[e] + 1]++;
    }
    for (long v = 0; v < n; v++) { start[v + 1] += start[v]; fill[v] = start[v]; }
    for (long e = 0; e < m; e++) { adj[fill[eu[e]]++] = ev[e]; adj[fill[ev[e]]++] = eu[e]; }
    for (long v = 0; v < n; v++) dist[v] = -1;

    long head = 0, tail = 0;
    cyclesim_roi_begin();
    dist[0] = 0;
    queue[tail++] = 0;
    while (head < tail) {
        long u = queue[head++];
        long du = dist[u] + 1;
        for (long k = start[u]; k < start[u + 1]; k++) {
            long w = adj[k];
            if (dist[w] < 0) { dist[w] = du; queue[tail++] = w; }
        }
    }
    cyclesim_roi_end();

    for (long v = 0; v < n; v++) parent[v] = v;
    for (long e = 0; e < m; e++) {
        long a = find(parent, eu[e]), b = find(parent, ev[e]);
        if (a != b) parent[a] = b;
    }
    int ok = 1;
    long root = find(parent, 0), component = 0, reached = 0, maxd = 0;
    uint64_t checksum = 0;
    for (long v = 0; v < n; v++) {
        int in = find(parent, v) == root;
        component += in;
        if ((dist[v] >= 0) != in) ok = 0;
        if (dist[v] < 0) continue;
        reached++;
        checksum += (uint64_t)dist[v] * (uint64_t)(v + 1);
        if (dist[v] > maxd) maxd = dist[v];
        int has_closer = v == 0;
        for (long k = start[v]; k < start[v + 1]; k++) {
            long d = dist[adj[k]];
            if (d < 0 || d > dist[v] + 1 || d < dist[v] - 1) ok = 0;
            if (d == dist[v] - 1) has_closer = 1;
        }
        if (!has_closer) ok = 0;
    }
    if (reached != tail || reached != component || dist[0] != 0) ok = 0;

    printf("bfs n=%ld edges=%ld reached=%ld depth=%ld checksum=%llu %s\n", n, m, reached, maxd,
           (unsigned long long)checksum, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
