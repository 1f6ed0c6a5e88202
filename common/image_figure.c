/* image_figure — a labelled grid of tiles as a PNG figure; see image_save_labelled_grid in
   image.h (introduced for L42 4.2: 03_vae_beta_vae.c and 04_vqvae.c). */
#include "common/image.h"
#include "common/plot.h"

int image_save_labelled_grid(const char *path, const char *title, const float *tiles, int rows, int cols, int h,
                             int w, int upscale, const char *const *labels, char *err, size_t errlen) {
    ImageGridOptions opt = image_grid_defaults();
    opt.cols = cols, opt.upscale = upscale;
    Image8 *img = image_grid(tiles, rows * cols, 1, h, w, &opt);
    Plot *fig = plot_new(img->width + 140, img->height + 60, title);
    plot_image(fig, img, labels, rows);
    const int rc = plot_save(fig, path, err, errlen) != 0 ? -1 : 0;
    plot_free(fig), image8_free(img);
    return rc;
}
