/*
 * viz_app: the two ways a view is shown: a screenshot rendered with SDL's
 * software renderer onto a surface (no display, no video driver), and the
 * interactive window with its event loop.
 */
#include "viz.h"

#include <stdio.h>
#include <string.h>

#include "png.h"

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool fl_viz_screenshot(struct fl_viz *viz, const char *path, char *error, size_t error_size) {
    SDL_Surface *surface =
        SDL_CreateRGBSurfaceWithFormat(0, viz->width, viz->height, 32, SDL_PIXELFORMAT_ARGB8888);
    if (surface == NULL) {
        snprintf(error, error_size, "cannot make a %dx%d image: %s", viz->width, viz->height,
                 SDL_GetError());
        return false;
    }
    SDL_LockSurface(surface);
    fl_viz_render(viz, surface->pixels, surface->pitch / 4);
    bool ok;
    if (ends_with(path, ".bmp")) {
        SDL_UnlockSurface(surface);
        ok = SDL_SaveBMP(surface, path) == 0;
        if (!ok) snprintf(error, error_size, "%s: cannot write: %s", path, SDL_GetError());
    } else {
        ok = fl_png_write(path, surface->pixels, (uint32_t)surface->w, (uint32_t)surface->h,
                          (size_t)surface->pitch);
        SDL_UnlockSurface(surface);
        if (!ok) snprintf(error, error_size, "%s: cannot write the PNG", path);
    }
    SDL_FreeSurface(surface);
    return ok;
}

static void handle_event(struct fl_viz *viz, const SDL_Event *e) {
    switch (e->type) {
    case SDL_QUIT: viz->quit = true; break;
    case SDL_KEYDOWN: fl_viz_key(viz, e->key.keysym.sym); break;
    case SDL_MOUSEBUTTONDOWN:
        if (e->button.button == SDL_BUTTON_LEFT) fl_viz_click(viz, e->button.x, e->button.y, true);
        break;
    case SDL_MOUSEBUTTONUP: viz->dragging = false; break;
    case SDL_MOUSEMOTION:
        if (e->motion.state & SDL_BUTTON_LMASK) fl_viz_click(viz, e->motion.x, e->motion.y, false);
        break;
    case SDL_MOUSEWHEEL: fl_viz_zoom(viz, e->wheel.y > 0 ? 1 : e->wheel.y < 0 ? -1 : 0); break;
    case SDL_WINDOWEVENT:
        if (e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
            fl_viz_resize(viz, e->window.data1, e->window.data2);
        }
        break;
    default: break;
    }
}

bool fl_viz_run_window(struct fl_viz *viz, uint64_t frames_max, char *error, size_t error_size) {
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        snprintf(error, error_size,
                 "cannot open a window (no display?): %s; "
                 "use --screenshot OUT.png --at TIME_NS to render without one",
                 SDL_GetError());
        return false;
    }
    /* With no display SDL falls back to a driver that draws nowhere; a
     * window there would wait for keys no one can press. */
    const char *driver = SDL_GetCurrentVideoDriver();
    bool nowhere =
        driver != NULL && (strcmp(driver, "offscreen") == 0 || strcmp(driver, "dummy") == 0);
    if (nowhere && frames_max == 0) {
        snprintf(error, error_size,
                 "cannot open a window: no display (SDL's video driver is "
                 "\"%s\"); use --screenshot OUT.png --at TIME to render without one",
                 driver);
        SDL_Quit();
        return false;
    }
    char title[192];
    snprintf(title, sizeof title, "faultline viz: %s", viz->title);
    SDL_Window *window = SDL_CreateWindow(title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                          viz->width, viz->height, SDL_WINDOW_RESIZABLE);
    /* Where nothing is shown, the software renderer: an accelerated one
     * would load GL libraries for nothing. */
    Uint32 flags = nowhere ? SDL_RENDERER_SOFTWARE : SDL_RENDERER_PRESENTVSYNC;
    SDL_Renderer *renderer = window != NULL ? SDL_CreateRenderer(window, -1, flags) : NULL;
    if (renderer == NULL && window != NULL) renderer = SDL_CreateRenderer(window, -1, 0);
    if (renderer == NULL) {
        snprintf(error, error_size, "cannot open a window: %s", SDL_GetError());
        if (window != NULL) SDL_DestroyWindow(window);
        SDL_Quit();
        return false;
    }
    /* One streaming texture the size of the view: each frame is drawn into
     * it and copied to the window as it is. */
    SDL_Texture *texture = NULL;
    int texture_w = 0, texture_h = 0;
    uint64_t last = SDL_GetPerformanceCounter();
    double frequency = (double)SDL_GetPerformanceFrequency();
    for (uint64_t frame = 0; !viz->quit && (frames_max == 0 || frame < frames_max); frame++) {
        SDL_Event e;
        while (SDL_PollEvent(&e))
            handle_event(viz, &e);
        uint64_t now = SDL_GetPerformanceCounter();
        fl_viz_tick(viz, (double)(now - last) / frequency);
        last = now;
        if (texture == NULL || texture_w != viz->width || texture_h != viz->height) {
            if (texture != NULL) SDL_DestroyTexture(texture);
            texture = SDL_CreateTexture(renderer, SDL_PIXELFORMAT_ARGB8888,
                                        SDL_TEXTUREACCESS_STREAMING, viz->width, viz->height);
            texture_w = viz->width, texture_h = viz->height;
            if (texture == NULL) {
                snprintf(error, error_size, "cannot make a texture: %s", SDL_GetError());
                break;
            }
        }
        void *pixels = NULL;
        int pitch = 0;
        if (SDL_LockTexture(texture, NULL, &pixels, &pitch) == 0) {
            fl_viz_render(viz, pixels, pitch / 4);
            SDL_UnlockTexture(texture);
        }
        SDL_RenderClear(renderer);
        SDL_RenderCopy(renderer, texture, NULL, NULL);
        SDL_RenderPresent(renderer);
        if (frames_max == 0) SDL_Delay(viz->playing ? 1 : 8); /* vsync may be off: do not spin */
    }
    bool ok = texture != NULL;
    if (texture != NULL) SDL_DestroyTexture(texture);
    SDL_DestroyRenderer(renderer);
    SDL_DestroyWindow(window);
    SDL_Quit();
    return ok;
}
