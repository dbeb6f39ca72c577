/* es-latency-chart.c
 *
 * One bar per relay, drawn with GtkSnapshot: the length is the round trip,
 * the colour what it means for a call (under 80 ms is as good as a phone
 * line, over 200 ms people start talking over each other). A relay that
 * did not answer gets no bar and says so. The bars scale to the slowest
 * relay, with a floor so that a fast network does not look slow.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "EsLatencyChart"

#include "config.h"

#include "es-latency-chart.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "es-netcheck-text.h"

#define ROW_HEIGHT 34
#define BAR_HEIGHT 10
#define LABEL_GAP 4
#define SCALE_FLOOR_MS 100.0
#define GOOD_MS 80.0
#define FAIR_MS 200.0

typedef struct
{
  char *name;
  double rtt_ms;                 /* < 0: no answer */
  PangoLayout *label;
} Bar;

struct _EsLatencyChart
{
  GtkWidget parent_instance;

  GArray *bars;
  double scale_ms;
};

G_DEFINE_FINAL_TYPE (EsLatencyChart, es_latency_chart, GTK_TYPE_WIDGET)

static void
clear_bar (Bar *bar)
{
  g_free (bar->name);
  g_clear_object (&bar->label);
}

static void
es_latency_chart_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  EsLatencyChart *self = ES_LATENCY_CHART (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 120;
      *natural = 320;
    }
  else
    *minimum = *natural = (int) self->bars->len * ROW_HEIGHT;
}

static void
bar_color (double    rtt_ms,
           GdkRGBA  *color)
{
  /* libadwaita's success, warning and error colours. */
  const char *spec = rtt_ms < GOOD_MS ? "#26a269" : rtt_ms < FAIR_MS ? "#cd9309" : "#c01c28";

  gdk_rgba_parse (color, spec);
}

static void
es_latency_chart_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  EsLatencyChart *self = ES_LATENCY_CHART (widget);
  int width = gtk_widget_get_width (widget);
  GdkRGBA text, track;

  /* GTK 4.8: the widget's colour comes from its style context. */
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &text);
  track = text;
  track.alpha = 0.1f;
  for (guint i = 0; i < self->bars->len; i++)
    {
      Bar *bar = &g_array_index (self->bars, Bar, i);
      int top = (int) i * ROW_HEIGHT;
      int label_height;
      float bar_top;

      pango_layout_get_pixel_size (bar->label, NULL, &label_height);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (0, top));
      gtk_snapshot_append_layout (snapshot, bar->label, &text);
      gtk_snapshot_restore (snapshot);

      bar_top = top + label_height + LABEL_GAP;
      gtk_snapshot_append_color (snapshot, &track,
                                 &GRAPHENE_RECT_INIT (0, bar_top, width, BAR_HEIGHT));
      if (bar->rtt_ms >= 0)
        {
          GdkRGBA color;
          float length = (float) MAX (2.0, width * MIN (1.0, bar->rtt_ms / self->scale_ms));

          bar_color (bar->rtt_ms, &color);
          gtk_snapshot_append_color (snapshot, &color,
                                     &GRAPHENE_RECT_INIT (0, bar_top, length, BAR_HEIGHT));
        }
    }
}

static void
update_accessible_label (EsLatencyChart *self)
{
  g_autoptr(GString) text = g_string_new (_("Relay round-trip times"));

  for (guint i = 0; i < self->bars->len; i++)
    {
      Bar *bar = &g_array_index (self->bars, Bar, i);

      g_string_append_printf (text, "; %s", pango_layout_get_text (bar->label));
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, text->str,
                                  -1);
}

void
es_latency_chart_set_relays (EsLatencyChart *self,
                             JsonArray      *relays)
{
  guint n = relays != NULL ? json_array_get_length (relays) : 0;

  g_array_set_size (self->bars, 0);
  self->scale_ms = SCALE_FLOOR_MS;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (relays, i);
      JsonObject *relay = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      JsonNode *rtt = relay != NULL ? json_object_get_member (relay, "rtt_ms") : NULL;
      g_autofree char *rtt_text = es_netcheck_text_rtt (relay);
      g_autofree char *label = NULL;
      Bar bar = { 0 };

      if (relay == NULL)
        continue;
      bar.name = g_strdup (json_object_get_string_member_with_default (relay, "relay", "?"));
      bar.rtt_ms = rtt != NULL && JSON_NODE_HOLDS_VALUE (rtt) &&
                   json_node_get_value_type (rtt) != G_TYPE_STRING ? json_node_get_double (rtt)
                                                                   : -1;
      label = g_strdup_printf ("%s — %s", bar.name, rtt_text);
      bar.label = gtk_widget_create_pango_layout (GTK_WIDGET (self), label);
      pango_layout_set_ellipsize (bar.label, PANGO_ELLIPSIZE_MIDDLE);
      self->scale_ms = MAX (self->scale_ms, bar.rtt_ms * 1.1);
      g_array_append_val (self->bars, bar);
    }
  update_accessible_label (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

static void
es_latency_chart_size_allocate (GtkWidget *widget,
                                int        width,
                                int        height,
                                int        baseline)
{
  EsLatencyChart *self = ES_LATENCY_CHART (widget);

  for (guint i = 0; i < self->bars->len; i++)
    pango_layout_set_width (g_array_index (self->bars, Bar, i).label, width * PANGO_SCALE);
}

static void
es_latency_chart_finalize (GObject *object)
{
  EsLatencyChart *self = ES_LATENCY_CHART (object);

  g_array_unref (self->bars);

  G_OBJECT_CLASS (es_latency_chart_parent_class)->finalize (object);
}

static void
es_latency_chart_class_init (EsLatencyChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = es_latency_chart_finalize;
  widget_class->measure = es_latency_chart_measure;
  widget_class->size_allocate = es_latency_chart_size_allocate;
  widget_class->snapshot = es_latency_chart_snapshot;
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
  gtk_widget_class_set_css_name (widget_class, "latencychart");
}

static void
es_latency_chart_init (EsLatencyChart *self)
{
  self->bars = g_array_new (FALSE, TRUE, sizeof (Bar));
  g_array_set_clear_func (self->bars, (GDestroyNotify) clear_bar);
  self->scale_ms = SCALE_FLOOR_MS;
}

