/* The data centers' monthly ordering rule (sim/ordering.py) as one compiled loop, for bench_order_kernel.py only: it
 * measures what compiling the largest phase would buy. It is not part of chipsim and leaves out two rules the
 * benchmark checks are off in the month it measures (promoted US hardware, buying ahead of an announced ban).
 *
 * Routes (supplier -> data center) come grouped by data center; each route's offers are the rows of its block in the
 * month's pool of quoted rows. Per data center with cash: effective price per H100e (its own bloc's chips weighed by
 * its home preference), a logit share of its cash on each offer relative to the cheapest, and whole chips.
 */
#include <math.h>
#include <stdint.h>

#define MAX_CHIPS_PER_ORDER 1e12

/* floor(a / b) as numpy's floor_divide gives it for floats: exact near whole numbers, where a / b may round onto one. */
static double floor_divide(double a, double b)
{
    double mod = fmod(a, b);
    double div = (a - mod) / b;
    if (mod != 0.0 && ((b < 0) != (mod < 0))) {
        div -= 1.0;
    }
    if (div == 0.0) {
        return copysign(0.0, a / b);
    }
    double whole = floor(div);
    return div - whole > 0.5 ? whole + 1.0 : whole;
}

/* sim.ordering.whole_units for one row. */
static double whole_units(double spend, double price)
{
    double ratio = spend / price;
    double near = fabs(ratio - rint(ratio));
    return near <= 1e-9 * fmax(1.0, fabs(ratio)) ? floor_divide(spend, price) : floor(ratio);
}

int64_t plan_orders(int64_t routes, const int64_t *route_block, const int64_t *route_center,
                    const int64_t *block_start, const int64_t *block_size,
                    const int64_t *pool_chip, const double *pool_price,
                    const double *cash_usd, const double *home_weight, const int64_t *owner_bloc, int64_t blocs,
                    const uint8_t *domestic_by_chip_and_bloc, const double *h100e_by_chip, double sensitivity,
                    double *scratch, int64_t *order_route, int64_t *order_pool_row, int64_t *order_quantity)
{
    int64_t orders = 0;
    for (int64_t first = 0, last; first < routes; first = last) {
        int64_t center = route_center[first];
        for (last = first; last < routes && route_center[last] == center; last++) {
        }
        double cash = cash_usd[center];
        if (!(cash > 0)) {
            continue;
        }
        double cheapest = INFINITY;
        int64_t offers = 0;
        for (int64_t route = first; route < last; route++) {
            int64_t block = route_block[route];
            for (int64_t row = block_start[block]; row < block_start[block] + block_size[block]; row++) {
                int64_t chip = pool_chip[row];
                double weight = domestic_by_chip_and_bloc[chip * blocs + owner_bloc[center]] ? home_weight[center] : 1.0;
                double effective = pool_price[row] / h100e_by_chip[chip] * weight;
                scratch[offers++] = effective;
                cheapest = fmin(cheapest, effective);
            }
        }
        double attraction_total = 0.0;
        for (int64_t offer = 0; offer < offers; offer++) {
            scratch[offer] = exp(-sensitivity * (scratch[offer] / cheapest - 1.0));
            attraction_total += scratch[offer];
        }
        int64_t offer = 0;
        for (int64_t route = first; route < last; route++) {
            int64_t block = route_block[route];
            for (int64_t row = block_start[block]; row < block_start[block] + block_size[block]; row++) {
                double quantity = whole_units(cash * (scratch[offer++] / attraction_total), pool_price[row]);
                if (quantity >= 1) {
                    order_route[orders] = route;
                    order_pool_row[orders] = row;
                    order_quantity[orders] = (int64_t)fmin(quantity, MAX_CHIPS_PER_ORDER);
                    orders++;
                }
            }
        }
    }
    return orders;
}
